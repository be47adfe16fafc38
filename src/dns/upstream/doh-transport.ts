// DNS over HTTPS (RFC 8484): GET with ID 0 and the query base64url-encoded in `dns=` (cacheable by
// HTTP caches), through an undici Pool speaking HTTP/2. The pool connects to the upstream's IP
// literal with the configured TLS servername (and Host): banwall never resolves its own upstreams.
// Per-query closures are acceptable here: an HTTPS round trip dwarfs them.
import type * as Undici from 'undici';
import type { Pool } from 'undici';
import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import { answerMatches } from '../wire/answer-facts.ts';
import type { Exchange } from './exchange.ts';
import { PendingTransport } from './pending-transport.ts';
import type { TransportSink } from './transport.ts';
import type { UpstreamAddress } from './upstream-url.ts';

const MAX_BODY = 65535;

// undici is loaded when the first DoH upstream is made, not at start: it adds ~30 MB of RSS that a
// config of UDP/TCP/DoT upstreams never needs (measured here: 43 → 73 MB for a bare import).
const requireUndici = createRequire(import.meta.url);
let PoolClass: typeof Pool | undefined;
const HEADERS_TIMEOUT_SLACK_MS = 500;

export class DohTransport extends PendingTransport {
  readonly kind = 'https' as const;
  private readonly pool: Pool;
  private readonly path: string;
  private readonly authority: string;

  constructor(addr: UpstreamAddress, timeoutMs: number, sink: TransportSink, ca?: string | Buffer) {
    super(timeoutMs, sink);
    const host = isIPv6(addr.host) ? `[${addr.host}]` : addr.host;
    PoolClass ??= (requireUndici('undici') as typeof Undici).Pool;
    this.pool = new PoolClass(`https://${host}:${addr.port}`, {
      allowH2: true,
      connections: 2,
      connect: { servername: addr.servername, ca, ALPNProtocols: ['h2', 'http/1.1'] },
      headersTimeout: timeoutMs + HEADERS_TIMEOUT_SLACK_MS,
      bodyTimeout: timeoutMs + HEADERS_TIMEOUT_SLACK_MS,
      keepAliveTimeout: 30_000,
    });
    this.pool.on('connectionError', () => {}); // surfaced per request
    this.path = addr.path;
    this.authority = addr.port === 443 ? addr.servername : `${addr.servername}:${addr.port}`;
  }

  protected transmit(ex: Exchange, id: number, msg: Buffer): void {
    msg.writeUInt16BE(0, 0); // RFC 8484 §4.1: ID 0, so equal queries are equal URLs
    const path = `${this.path}?dns=${msg.toString('base64url')}`;
    this.request(path)
      .then(
        (body) => this.onBody(ex, id, body),
        (err: Error & { statusCode?: number }) => {
          if (this.table.get(id) !== ex) return; // timed out meanwhile
          this.table.remove(id);
          this.sink.failed(ex, err.statusCode !== undefined ? 'http' : 'network');
        },
      )
      .catch((err: unknown) => this.sink.bug(err));
  }

  protected release(): void {
    this.pool.destroy().catch(() => {});
  }

  private async request(path: string): Promise<Buffer> {
    const res = await this.pool.request({
      method: 'GET',
      path,
      headers: { host: this.authority, accept: 'application/dns-message' },
    });
    const type = String(res.headers['content-type'] ?? '');
    if (res.statusCode !== 200 || !type.startsWith('application/dns-message')) {
      res.body.destroy();
      throw Object.assign(new Error(`DoH status ${res.statusCode} ${type}`), { statusCode: res.statusCode });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) {
        res.body.destroy();
        throw Object.assign(new Error('DoH body too large'), { statusCode: 200 });
      }
      chunks.push(chunk);
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  }

  private onBody(ex: Exchange, id: number, body: Buffer): void {
    if (this.table.get(id) !== ex) return; // timed out meanwhile
    this.table.remove(id);
    if (body.length < 12 || body.readUInt16BE(0) !== 0) return this.sink.failed(ex, 'malformed');
    if (!answerMatches(body, ex.query.packet, ex.query.questionEnd)) return this.sink.failed(ex, 'mismatch');
    const rtt = performance.now() - this.table.sentTime(id);
    this.sink.answered(ex, body, rtt, this);
  }
}
