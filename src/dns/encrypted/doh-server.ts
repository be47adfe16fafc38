// DNS over HTTPS for devices (RFC 8484): GET `?dns=<base64url>` and POST `application/dns-message`
// at `dns.doh.path`, over HTTP/2 with HTTP/1.1 as a fallback for older clients, on every
// `dns.doh.listen` address. `Cache-Control: max-age` is the answer's smallest TTL (§5.1).
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { DnsAnswer } from '../resolver.ts';
import type { KeyPair } from './cert-files.ts';
import { answerMaxAge, exchange, STREAM_LIMIT } from './exchange.ts';
import { unmapAddress } from '../server/client-address.ts';
import { TlsFront, type TlsFrontOptions } from './tls-front.ts';

type Request = http2.Http2ServerRequest;
type Response = http2.Http2ServerResponse;

const MEDIA_TYPE = 'application/dns-message';
const BASE64URL = /^[A-Za-z0-9_-]*$/;

function plain(res: Response, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`);
}

export class DohServer extends TlsFront<http2.Http2SecureServer> {
  protected readonly name = 'DoH';
  private readonly sessions = new Set<http2.Http2Session>();
  private readonly sockets = new Set<Socket>();
  private readonly path: string;

  /** `path`: `dns.doh.path`, the one URL path that answers. */
  constructor(opts: TlsFrontOptions & { readonly path: string }) {
    super(opts);
    this.path = opts.path;
  }

  protected createServer(pair: KeyPair): http2.Http2SecureServer {
    const server = http2.createSecureServer(
      {
        cert: pair.cert,
        key: pair.key,
        allowHTTP1: true,
        minVersion: 'TLSv1.2',
        // A client that connects and never finishes the handshake is cut off (default: 120 s).
        handshakeTimeout: this.limits.idleTimeout,
      },
      (req, res) => this.handle(req, res),
    );
    // Idle sessions and sockets are closed (Node passes the idle socket or session to the callback).
    server.setTimeout(this.limits.idleTimeout, ((idle: { destroy(): void }) => idle.destroy()) as () => void);
    server.on('session', (session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      session.on('error', () => session.destroy());
    });
    server.on('secureConnection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('sessionError', () => {});
    return server;
  }

  private handle(req: Request, res: Response): void {
    req.on('error', () => {});
    res.on('error', () => {});
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname !== this.path) return plain(res, 404, 'not found');
    const client = unmapAddress(req.socket?.remoteAddress ?? '');
    if (req.method === 'GET' || req.method === 'HEAD') {
      const dns = new URLSearchParams(q < 0 ? '' : url.slice(q + 1)).get('dns');
      if (dns === null || dns === '' || !BASE64URL.test(dns)) {
        return plain(res, 400, 'missing or malformed "dns" parameter (base64url DNS message)');
      }
      const packet = Buffer.from(dns, 'base64url');
      if (packet.length > STREAM_LIMIT) return plain(res, 414, 'DNS message too long');
      return this.answer(packet, client, req, res);
    }
    if (req.method === 'POST') {
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (type !== MEDIA_TYPE) return plain(res, 415, `content type must be ${MEDIA_TYPE}`);
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > STREAM_LIMIT) {
          plain(res, 413, 'DNS message too long');
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (size <= STREAM_LIMIT) this.answer(Buffer.concat(chunks), client, req, res);
      });
      return;
    }
    plain(res, 405, 'method not allowed', { allow: 'GET, POST' });
  }

  private answer(packet: Buffer, client: string, req: Request, res: Response): void {
    exchange(
      this.resolver,
      this.stats,
      packet,
      client,
      'doh',
      0,
      (reply: Buffer | null, answer: DnsAnswer | null) => {
        if (res.destroyed || res.headersSent) return;
        if (reply === null) {
          // No reply: a packet that is not a DNS query, or the rate limiter chose to drop it.
          return answer === null
            ? plain(res, 400, 'not a DNS query')
            : plain(res, 429, 'too many queries', { 'retry-after': '1' });
        }
        res.writeHead(200, {
          'content-type': MEDIA_TYPE,
          'content-length': String(reply.length),
          'cache-control': `max-age=${answerMaxAge(answer)}`,
        });
        if (req.method === 'HEAD') res.end();
        else res.end(reply);
      },
    );
  }

  async stop(graceMs: number): Promise<void> {
    const closed = this.closeListeners();
    // GOAWAY: streams already open finish, no new ones start.
    for (const s of this.sessions) s.close();
    const timer = setTimeout(() => {
      for (const s of this.sessions) s.destroy();
      for (const s of this.sockets) s.destroy();
    }, graceMs);
    // HTTP/1.1 keep-alive sockets have no GOAWAY: end the idle ones now.
    for (const s of this.sockets) if (!this.isHttp2(s)) s.end();
    await closed;
    clearTimeout(timer);
  }

  private isHttp2(socket: Socket): boolean {
    return (socket as Socket & { alpnProtocol?: string | false }).alpnProtocol === 'h2';
  }
}
