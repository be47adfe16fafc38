// DNS over TLS for devices (RFC 7858, Android "Private DNS"): TLS on every `dns.dot.listen` address,
// RFC 7766 stream framing (2-byte length), several queries per connection answered as each completes
// (pipelining, out of order), an idle timeout and a cap on open connections from `dns.tcp`.
import tls from 'node:tls';
import type { Resolver } from '../resolver.ts';
import type { DnsStats } from '../stats/dns-stats.ts';
import type { KeyPair } from './cert-files.ts';
import { exchange } from './exchange.ts';
import { unmapAddress } from '../server/client-address.ts';
import { TlsFront } from './tls-front.ts';

/** One TLS connection: frames queries, answers each as it completes, closes when idle. */
class DotConnection {
  readonly socket: tls.TLSSocket;
  private readonly resolver: Resolver;
  private readonly stats: DnsStats | null;
  private readonly client: string;
  private pending: Buffer = Buffer.alloc(0);
  inFlight = 0;
  private closing = false;

  constructor(socket: tls.TLSSocket, resolver: Resolver, stats: DnsStats | null, idleTimeout: number) {
    this.socket = socket;
    this.resolver = resolver;
    this.stats = stats;
    this.client = unmapAddress(socket.remoteAddress ?? '');
    socket.setNoDelay(true);
    socket.setTimeout(idleTimeout);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // RFC 7766 §6.2.3: close an idle connection; one with queries in flight is not idle.
    socket.on('timeout', () => {
      if (this.inFlight === 0) socket.destroy();
    });
    socket.on('error', () => socket.destroy());
    socket.on('end', () => {
      this.closing = true;
      if (this.inFlight === 0) socket.end();
    });
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 2) {
      const len = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + len) break;
      const msg = this.pending.subarray(2, 2 + len);
      this.pending = this.pending.subarray(2 + len);
      this.inFlight++;
      exchange(this.resolver, this.stats, msg, this.client, 'dot', 2, (reply) => this.send(reply));
    }
    // A frame can be at most 65537 bytes; anything buffered beyond that is not DNS.
    if (this.pending.length > 65537) this.socket.destroy();
  }

  private send(reply: Buffer | null): void {
    this.inFlight--;
    // The reply already carries its 2-byte length prefix.
    if (reply !== null && !this.socket.destroyed && this.socket.writable) this.socket.write(reply);
    if (this.closing && this.inFlight === 0) this.socket.end();
  }

  /** Graceful stop: no more reading; the socket ends once its answers are written. */
  drain(): void {
    this.closing = true;
    this.socket.pause();
    if (this.inFlight === 0) this.socket.end();
  }
}

export class DotServer extends TlsFront<tls.Server> {
  protected readonly name = 'DoT';
  private readonly connections = new Set<DotConnection>();

  protected createServer(pair: KeyPair): tls.Server {
    const server = tls.createServer({
      cert: pair.cert,
      key: pair.key,
      minVersion: 'TLSv1.2',
      // RFC 7858 §3.2 and RFC 8310: "dot" is the registered ALPN identifier.
      ALPNProtocols: ['dot'],
      // A client that connects and never finishes the handshake is cut off.
      handshakeTimeout: this.limits.idleTimeout,
    });
    server.on('secureConnection', (socket) => {
      const conn = new DotConnection(socket, this.resolver, this.stats, this.limits.idleTimeout);
      this.connections.add(conn);
      socket.on('close', () => this.connections.delete(conn));
    });
    return server;
  }

  async stop(graceMs: number): Promise<void> {
    const closed = this.closeListeners();
    for (const c of this.connections) c.drain();
    const timer = setTimeout(() => {
      for (const c of this.connections) c.socket.destroy();
    }, graceMs);
    await closed;
    clearTimeout(timer);
  }
}
