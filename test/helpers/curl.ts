// Runs the real curl and splits what it printed into status, response headers and body.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CurlResult {
  readonly status: number;
  readonly body: string;
  readonly headers: string;
  readonly exitCode: number;
}

/** Runs the real curl; `status` is 0 when no HTTP response came back. */
export async function curl(args: string[], timeoutMs = 10_000): Promise<CurlResult> {
  const marker = '\n--banwall-status--';
  // Headers go to stdout before the body (`-D /dev/stderr` crashes curl on Node's socketpair stdio).
  const full = [
    '-sS',
    '-D',
    '-',
    '--max-time',
    String(timeoutMs / 1000),
    '-w',
    `${marker}%{http_code}`,
    ...args,
  ];
  try {
    const { stdout } = await run('curl', full, { timeout: timeoutMs + 2000, encoding: 'latin1' });
    return parseCurl(stdout, 0, marker);
  } catch (err) {
    const e = err as { stdout?: string; code?: number };
    return parseCurl(e.stdout ?? '', typeof e.code === 'number' ? e.code : -1, marker);
  }
}

/**
 * `url` through the proxy on 127.0.0.1:`proxyPort` (`extra` arguments first): the HTTP status as curl
 * prints it, '000' when no response came back.
 */
export async function curlViaProxy(proxyPort: number, url: string, extra: string[] = []): Promise<string> {
  const r = await curl([...extra, '-x', `http://127.0.0.1:${proxyPort}`, url], 5000);
  return String(r.status).padStart(3, '0');
}

function parseCurl(stdout: string, exitCode: number, marker: string): CurlResult {
  const at = stdout.lastIndexOf(marker);
  const status = at >= 0 ? Number(stdout.slice(at + marker.length)) : 0;
  let rest = at >= 0 ? stdout.slice(0, at) : stdout;
  let headers = '';
  // One header block per response curl saw (a CONNECT's, then the origin's).
  while (/^HTTP\/\d/.test(rest)) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) {
      headers += rest;
      rest = '';
      break;
    }
    headers += rest.slice(0, end + 4);
    rest = rest.slice(end + 4);
  }
  return { status, body: Buffer.from(rest, 'latin1').toString('utf8'), headers, exitCode };
}
