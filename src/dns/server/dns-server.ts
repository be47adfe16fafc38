// The classic DNS front end: UDP and TCP on every `dns.listen` address, IPv4 and IPv6.
//
// It turns bytes into a DnsQuery, asks the resolver chain, and writes the answer back in one copy
// (../wire/). It owns nothing of policy: every decision is the chain's. Nothing a client sends may
// crash the process: the parser bounds-checks, every call into the chain is wrapped, and a failure is
// answered SERVFAIL (or dropped) and counted.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Resolver } from '../resolver.ts';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { DnsStats } from '../stats/dns-stats.ts';
import { bindDgram, bindPair, type BoundPair } from './bind.ts';
import { FrontendCounters } from './frontend-counters.ts';
import { InFlight } from './in-flight.ts';
import { TcpFront } from './tcp-front.ts';
import { DgramReplies, UdpFront, type UdpReplyPath } from './udp-front.ts';
import { BatchedReplies } from './batched-udp.ts';
import {
  useBatchedUpstream,
  loadBatchedUdp,
  nativeLoadError,
  type BatchedUdpAddon,
} from '../../net/batched-udp-addon.ts';
import { ServerCookies } from '../wire/server-cookie.ts';
import { CookieSecrets, masterSecret } from './cookie-secrets.ts';
import { REUSE_PORT } from '../../net/reuse-port.ts';

// dgram's `send` resolves the destination with dns.lookup, which even for an IP literal defers its
// callback with process.nextTick (and tests the literal with a long IPv6 regexp, ~1.3 % of a hit in a
// profile here). Every destination here is the literal a query came from, and dgram passes the
// socket's family: answer at once.
function literalLookup(
  address: string,
  family: unknown, // typed as lookup options; dgram passes the socket's family number (4 or 6)
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, address, typeof family === 'number' ? family : address.includes(':') ? 6 : 4);
}

/**
 * SO_RCVBUF of a UDP listener (the addon sets the same): queries wait in it while the loop is busy (a
 * reload's swap, a GC pause). With the default 208 KiB, test/policy/reload-e2e's 2,000 q/s stream lost
 * 65 of 4,760 queries across five reloads on a loaded machine. The kernel caps it at net.core.rmem_max.
 */
const RECV_BUFFER = 4 * 1024 * 1024;

export class DnsServer {
  /** Drops and survived failures, for tests and the status API. */
  readonly counters = new FrontendCounters();
  private readonly resolver: Resolver;
  private readonly cfg: Config['dns'];
  private readonly stats: DnsStats;
  private readonly log: Logger;
  private readonly inFlight = new InFlight();
  private readonly tcpFront: TcpFront;
  private readonly udp: (UdpFront<dgram.RemoteInfo> | UdpFront<number>)[] = [];
  private readonly pairs: BoundPair[] = [];
  private readonly cookies: ServerCookies | null;

  constructor(resolver: Resolver, cfg: Config['dns'], stats: DnsStats, log: Logger) {
    this.resolver = resolver;
    this.cfg = cfg;
    this.stats = stats;
    this.log = log;
    const c = cfg.cookies;
    this.cookies = c.enabled
      ? new ServerCookies(new CookieSecrets(masterSecret(c.secret), c.rotation))
      : null;
    const deps = { resolver, stats, counters: this.counters, inFlight: this.inFlight, cookies: this.cookies };
    this.tcpFront = new TcpFront(deps, cfg.tcp);
  }

  /** The UDP path in use (`dns.batchedIo`), for the start log and /api/status; known after start(). */
  udpIo: 'batched' | 'dgram' = 'dgram';

  /** Binds every listen address (UDP and TCP); rejects if any cannot be bound. */
  async start(): Promise<void> {
    const addon = this.cfg.batchedIo === 'off' ? null : loadBatchedUdp();
    if (addon === null && this.cfg.batchedIo === 'on') {
      throw new Error(
        `dns.batchedIo is on but the batched UDP addon is unavailable (${nativeLoadError()}): ` +
          'build it with `npm run build:native` (needs cc), or set dns.batchedIo to auto or off',
      );
    }
    this.udpIo = addon === null ? 'dgram' : 'batched';
    useBatchedUpstream(addon); // the upstream UDP sockets follow the front end
    for (const { host, port } of this.cfg.listen) {
      const tcp = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.tcpFront.accept(s));
      tcp.on('error', (err) => this.log.error({ err, host }, 'DNS TCP listener error'));
      try {
        if (addon !== null) this.pairs.push(await this.bindBatched(addon, host, port, tcp));
        else this.pairs.push(await this.bindDgram(host, port, tcp));
      } catch (err) {
        await this.stop(0);
        throw new Error(`dns.listen: cannot bind ${host}:${port}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  private async bindDgram(host: string, port: number, tcp: net.Server): Promise<BoundPair> {
    const create = (type: 'udp4' | 'udp6') =>
      dgram.createSocket({
        type,
        ipv6Only: type === 'udp6',
        lookup: literalLookup,
        reusePort: REUSE_PORT,
        recvBufferSize: RECV_BUFFER,
      });
    const pair = await bindPair(host, port, (h, p, v6) => bindDgram(create, h, p, v6), tcp);
    const replies = new DgramReplies(pair.udp.socket);
    replies.listen(this.udpFront(replies));
    return pair;
  }

  /** The UDP front end over `replies` (node:dgram or the batched addon), kept for stop(). */
  private udpFront<T extends dgram.RemoteInfo | number>(replies: UdpReplyPath<T>): UdpFront<T> {
    const front = new UdpFront<T>(
      replies,
      this.resolver,
      this.stats,
      this.counters,
      this.inFlight,
      this.cookies,
      this.cfg.maxUdpSize,
    );
    this.udp.push(front as UdpFront<dgram.RemoteInfo> | UdpFront<number>);
    return front;
  }

  private async bindBatched(
    addon: BatchedUdpAddon,
    host: string,
    port: number,
    tcp: net.Server,
  ): Promise<BoundPair> {
    const bind = (h: string, p: number, v6: boolean) =>
      Promise.resolve(BatchedReplies.bind(addon, h, p, v6, REUSE_PORT, this.counters));
    const pair = await bindPair(host, port, bind, tcp);
    pair.udp.listen(this.udpFront(pair.udp));
    return pair;
  }

  /** Bound addresses, for logs and tests (port 0 resolves to the real port). */
  addresses(): { protocol: 'udp' | 'tcp'; host: string; port: number }[] {
    const out: { protocol: 'udp' | 'tcp'; host: string; port: number }[] = [];
    for (const p of this.pairs) out.push({ protocol: 'udp', host: p.host, port: p.port });
    for (const p of this.pairs) out.push({ protocol: 'tcp', host: p.host, port: p.port });
    return out;
  }

  /** Open TCP connections and answers waiting on the chain. */
  load(): { tcpConnections: number; inFlight: number } {
    return { tcpConnections: this.tcpFront.connections, inFlight: this.inFlight.size };
  }

  /** Stops accepting, answers what is in flight (up to `graceMs`), then closes. */
  async stop(graceMs: number): Promise<void> {
    const closed = this.pairs.map(
      (p) => new Promise<void>((resolve) => (p.tcp.listening ? p.tcp.close(() => resolve()) : resolve())),
    );
    for (const u of this.udp) u.stopAccepting();
    this.tcpFront.stopAccepting();
    await this.inFlight.drained(graceMs);
    this.tcpFront.destroyAll();
    await Promise.all([...this.udp.map((u) => u.close()), ...closed]);
  }
}
