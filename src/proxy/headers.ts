// Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and must not be forwarded.
import type { IncomingHttpHeaders } from 'node:http';

/** Always removed from requests going upstream. `expect` is answered by banwall itself (100-continue). */
const REQUEST_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'upgrade',
  'expect',
] as const;

/** Always removed from responses going back to the client. */
const RESPONSE_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'trailer',
  'upgrade',
] as const;

/**
 * Headers a `Connection:` token may not remove: framing and routing. Honouring
 * `Connection: content-length` or `Connection: host` would let a client change how the origin
 * delimits or routes the request (a smuggling vector), so those tokens are ignored.
 */
const PROTECTED = new Set(['host', 'content-length', 'transfer-encoding', 'via']);

function dropConnectionTokens(headers: IncomingHttpHeaders): void {
  const conn = headers.connection;
  if (conn === undefined) return;
  // Common values carry no extra header names: skip the split.
  if (conn === 'keep-alive' || conn === 'close' || conn === 'Keep-Alive') return;
  for (const raw of conn.split(',')) {
    const name = raw.trim().toLowerCase();
    if (name !== '' && !PROTECTED.has(name)) delete headers[name];
  }
}

/** Strips hop-by-hop headers from a request in place and sets Host and Via. */
export function prepareRequestHeaders(headers: IncomingHttpHeaders, host: string, via: string): void {
  dropConnectionTokens(headers);
  for (const h of REQUEST_HOP) if (headers[h] !== undefined) delete headers[h];
  // RFC 9112 §3.2.2: a proxy replaces Host with the authority of the absolute-form target, so the
  // origin and the policy see the same host.
  headers.host = host;
  headers.via = headers.via === undefined ? via : `${headers.via}, ${via}`;
}

/** Strips hop-by-hop headers from an upstream response in place and adds Via. */
export function prepareResponseHeaders(headers: IncomingHttpHeaders, via: string): void {
  dropConnectionTokens(headers);
  for (const h of RESPONSE_HOP) if (headers[h] !== undefined) delete headers[h];
  headers.via = headers.via === undefined ? via : `${headers.via}, ${via}`;
}
