// Responses the proxy writes itself: refusals and errors, on an HTTP response or, for CONNECT (whose
// socket the HTTP server has handed over), as raw bytes on the socket.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { BlockMatch } from '../policy/snapshot.ts';
import {
  blockHeaderValue,
  blockTemplate,
  fillTemplate,
  plainPage,
  renderBlockPage,
  wantsHtml,
  type BlockPageText,
  type RenderedPage,
} from './block-page.ts';

export type ExtraHeaders = Record<string, string>;

/**
 * A proxy client over its DNS budget (`dns.rateLimit`, shared with its own DNS queries): 429, the
 * status RFC 6585 defines for one client sending too much, with Retry-After; 503 would say that the
 * proxy is down for everyone, and clients retry it elsewhere or sooner.
 */
export const RATE_LIMITED =
  'banwall: too many name lookups from your address (dns.rateLimit, shared by DNS and the proxy); retry in a moment';
export const RETRY_AFTER: ExtraHeaders = { 'Retry-After': '1' };

/** Sends a page on an HTTP response (HEAD gets the headers only). */
export function sendPage(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  page: RenderedPage,
  extra?: ExtraHeaders,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string | number> = {
    'content-type': page.contentType,
    'content-length': page.body.length,
    'cache-control': 'no-store',
    ...extra,
  };
  res.writeHead(status, headers);
  if (req.method === 'HEAD') res.end();
  else res.end(page.body);
}

export function sendText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  extra?: ExtraHeaders,
): void {
  sendPage(req, res, status, plainPage(message), extra);
}

/** Error codes of an origin that connected or answered too slowly (Node's, http-proxy-3's, undici's). */
const TIMEOUT_CODES = new Set([
  'EUPSTREAM_TIMEOUT',
  'ECONNECT_TIMEOUT',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * A forwarded request whose origin failed: 504 when it was too slow, 502 when it could not be reached
 * or broke off; a response already under way is cut (its client sees a truncated body, not a lie).
 * Shared by both forwarders, so they answer the same.
 */
export function sendUpstreamError(req: IncomingMessage, res: ServerResponse, err: Error): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const code = (err as NodeJS.ErrnoException).code;
  const host = req.headers.host ?? 'the origin';
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    sendText(req, res, 504, `banwall: ${host} did not answer in time`);
  } else {
    sendText(req, res, 502, `banwall: cannot reach ${host} (${code ?? err.message})`);
  }
}

/**
 * The 403 page of a policy block, HTML or text by the client's Accept header. The cheapest response
 * the proxy writes (issue 17.5): the page and its header list come prebuilt from the rule's template
 * (block-page.ts), and the body goes out as a string, which Node joins to the head in one write.
 */
export function sendBlock(
  req: IncomingMessage,
  res: ServerResponse,
  text: BlockPageText,
  match: BlockMatch,
  what: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const t = blockTemplate(text, match, wantsHtml(req.headers.accept));
  const body = fillTemplate(t, what);
  res.writeHead(403, t.lastHeaders);
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

/** The status Node's own clientError handler would send, which the proxy's handlers replace to count it. */
export function clientErrorStatus(code: string | undefined): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

/** Answers a request Node's parser refused (`clientError`) with its status, then closes. */
export function rawClientError(socket: Duplex, code: string | undefined): void {
  const status = clientErrorStatus(code);
  rawText(socket, status, `banwall: ${STATUS_CODES[status] ?? 'Error'}`);
}

/** Writes a complete HTTP/1.1 response on a raw socket and closes it. */
export function rawResponse(
  socket: Duplex | Socket,
  status: number,
  page: RenderedPage,
  extra?: ExtraHeaders,
): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  let head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    `Content-Type: ${page.contentType}\r\n` +
    `Content-Length: ${page.body.length}\r\n` +
    'Cache-Control: no-store\r\n' +
    'Connection: close\r\n';
  if (extra) for (const [k, v] of Object.entries(extra)) head += `${k}: ${v}\r\n`;
  socket.end(Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), page.body]));
  // A client that never reads must not hold the socket: destroy once the bytes are flushed or soon after.
  setTimeout(() => socket.destroy(), 2000).unref();
}

export function rawText(
  socket: Duplex | Socket,
  status: number,
  message: string,
  extra?: ExtraHeaders,
): void {
  rawResponse(socket, status, plainPage(message), extra);
}

export function rawBlock(
  socket: Duplex | Socket,
  text: BlockPageText,
  match: BlockMatch,
  what: string,
  html: boolean,
): void {
  rawResponse(socket, 403, renderBlockPage(text, match, what, html), {
    'X-Banwall-Block': blockHeaderValue(match),
  });
}
