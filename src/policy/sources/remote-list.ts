// Fetches a remote list with undici: conditional GET (ETag / Last-Modified), a timeout, a size cap,
// and the last good copy kept on disk so banwall starts without the network.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface FetchOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export interface CachedCopy {
  /** The list as fetched (parse/list-bytes.ts parses it without a string per line). */
  readonly bytes: Buffer;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly fetchedAt: number;
}

export type FetchResult =
  | {
      readonly kind: 'fetched';
      readonly bytes: Buffer;
      readonly etag?: string;
      readonly lastModified?: string;
    }
  | { readonly kind: 'not-modified' };

/** `http://` is accepted only towards loopback (tests, a sidecar); everything else must be https. */
export function remoteUrlProblem(source: string): string | null {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return `"${source}" is not a URL`;
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (/^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1') return null;
    return `"${source}": plain http:// is accepted only for loopback addresses; use https://`;
  }
  return `"${source}": a list source is a file path or an https:// URL`;
}

export function isUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

export async function fetchList(
  url: string,
  cached: CachedCopy | null,
  opts: FetchOptions,
): Promise<FetchResult> {
  const headers: Record<string, string> = { 'user-agent': 'banwall', accept: 'text/plain, */*' };
  if (cached?.etag) headers['if-none-match'] = cached.etag;
  if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;
  const signal = AbortSignal.timeout(opts.timeoutMs);
  // Loaded on first use: undici adds ~30 MB of RSS, which a config without remote lists never needs.
  const { request } = await import('undici');
  const res = await request(url, {
    method: 'GET',
    headers,
    signal,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });
  if (res.statusCode === 304 && cached) {
    await res.body.dump();
    return { kind: 'not-modified' };
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`HTTP ${res.statusCode}`);
  }
  const declared = Number(res.headers['content-length']);
  if (declared > opts.maxBytes) {
    res.body.destroy();
    throw new Error(`list is ${declared} bytes, over blocking.maxListSize (${opts.maxBytes})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > opts.maxBytes) {
      res.body.destroy();
      throw new Error(`list is over blocking.maxListSize (${opts.maxBytes} bytes)`);
    }
    chunks.push(chunk as Buffer);
  }
  const header = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);
  return {
    kind: 'fetched',
    bytes: Buffer.concat(chunks),
    etag: header(res.headers.etag),
    lastModified: header(res.headers['last-modified']),
  };
}

/** Where the last good copy of `url` for list `name` lives. */
export function cachePaths(cacheDir: string, name: string, url: string): { text: string; meta: string } {
  const id = createHash('sha256').update(url).digest('hex').slice(0, 12);
  const base = path.join(cacheDir, `${name.replace(/[^a-z0-9_.-]/gi, '_')}-${id}`);
  return { text: `${base}.list`, meta: `${base}.meta.json` };
}

export async function readCachedCopy(
  cacheDir: string,
  name: string,
  url: string,
): Promise<CachedCopy | null> {
  const p = cachePaths(cacheDir, name, url);
  try {
    const [bytes, meta] = await Promise.all([readFile(p.text), readFile(p.meta, 'utf8')]);
    const m = JSON.parse(meta) as { etag?: string; lastModified?: string; fetchedAt?: number };
    return { bytes, etag: m.etag, lastModified: m.lastModified, fetchedAt: m.fetchedAt ?? 0 };
  } catch {
    return null;
  }
}

/** Writes atomically (temp file + rename) so a crash never leaves half a list as the "good" copy. */
export async function writeCachedCopy(
  cacheDir: string,
  name: string,
  url: string,
  copy: CachedCopy,
): Promise<void> {
  const p = cachePaths(cacheDir, name, url);
  await mkdir(cacheDir, { recursive: true });
  await writeFile(`${p.text}.tmp`, copy.bytes);
  await rename(`${p.text}.tmp`, p.text);
  const meta = { url, etag: copy.etag, lastModified: copy.lastModified, fetchedAt: copy.fetchedAt };
  await writeFile(`${p.meta}.tmp`, JSON.stringify(meta));
  await rename(`${p.meta}.tmp`, p.meta);
}
