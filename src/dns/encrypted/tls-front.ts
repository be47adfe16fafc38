// What DoT and DoH do alike around their TLS listeners, written once: one server per listen
// address, the caps on connections in total and per client (`dns.tcp`), failed handshakes dropped
// quietly, a renewed certificate served to new connections, the bound addresses. Each front end adds
// its own server (`createServer`) and how it stops.
import type tls from 'node:tls';
import type { Socket } from 'node:net';
import type { Resolver } from '../resolver.ts';
import type { DnsStats } from '../stats/dns-stats.ts';
import type { Logger } from '../../log.ts';
import type { TcpLimits } from '../server/tcp-front.ts';
import type { KeyPair } from './cert-files.ts';
import { ClientSlots } from './client-slots.ts';
import { listen, boundAddresses } from '../../net/listen.ts';

export interface TlsFrontOptions {
  readonly resolver: Resolver;
  /** Counts what the front end answers itself (FORMERR, SERVFAIL after a failure). */
  readonly stats: DnsStats | null;
  readonly listen: readonly { host: string; port: number }[];
  /** `dns.tcp`'s idle timeout and connection caps, shared with DNS over TCP. */
  readonly limits: TcpLimits;
  readonly log: Logger;
}

export abstract class TlsFront<S extends tls.Server> {
  protected readonly servers: S[] = [];
  protected readonly resolver: Resolver;
  protected readonly stats: DnsStats | null;
  protected readonly limits: TcpLimits;
  private readonly listen: readonly { host: string; port: number }[];
  private readonly log: Logger;
  /** 'DoT' or 'DoH', for log lines. */
  protected abstract readonly name: string;

  constructor(opts: TlsFrontOptions) {
    this.resolver = opts.resolver;
    this.stats = opts.stats;
    this.listen = opts.listen;
    this.limits = opts.limits;
    this.log = opts.log;
  }

  async start(pair: KeyPair): Promise<void> {
    const slots = new ClientSlots(this.limits.maxConnectionsPerClient);
    for (const { host, port } of this.listen) {
      const server = this.createServer(pair);
      server.maxConnections = this.limits.maxConnections;
      server.on('connection', slots.admit);
      // Failed handshakes (scanners, wrong certificate) are normal traffic, not errors.
      server.on('tlsClientError', (_err, socket: Socket) => socket.destroy());
      server.on('error', (err) => this.log.error({ err }, `${this.name} listener error`));
      await listen(server, host, port);
      this.servers.push(server);
    }
  }

  /** Serves `pair` to every new connection; open connections keep the certificate they agreed on. */
  setKeyPair(pair: KeyPair): void {
    for (const s of this.servers) s.setSecureContext({ cert: pair.cert, key: pair.key });
  }

  addresses(): { host: string; port: number }[] {
    return boundAddresses(this.servers);
  }

  /** Stops every listener; resolves when they are closed (open connections are the caller's). */
  protected closeListeners(): Promise<void> {
    return Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => {});
  }

  /** One listener with `pair`, its handshake timeout and its own request or connection handling. */
  protected abstract createServer(pair: KeyPair): S;
}
