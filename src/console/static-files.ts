// The console's files, read from the repository once at start and served with headers that let the
// page run only its own script and style: no inline code, no other origin, no framing.
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/console/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

export const CONSOLE_PATHS: readonly string[] = Object.keys(FILES);

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

const cache = new Map<string, Buffer>();

function body(path: string): Buffer {
  let b = cache.get(path);
  if (b === undefined) {
    b = readFileSync(new URL(`./static/${FILES[path].file}`, import.meta.url));
    cache.set(path, b);
  }
  return b;
}

export function serveStatic(path: string, res: ServerResponse): void {
  const b = body(path);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': FILES[path].type,
    'content-length': b.length,
    'cache-control': 'no-cache',
  });
  res.end(res.req.method === 'HEAD' ? undefined : b);
}
