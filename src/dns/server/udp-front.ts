// Answers DNS over one UDP socket: parse → chain → encode → send, synchronously when the chain can.
//
// The hit path allocates the query object, the answer object (the cache's) and one output buffer; no
// promise, no closure, no logging. Only answers that wait on an upstream take a `.then`.
import type dgram from 'node:dgram';
import type { DnsAnswer, DnsQuery, Resolver } from '../resolver.ts';
import type { DnsStats } from '../stats/dns-stats.ts';
import { parseQuery, QueryError } from '../wire/parse-query.ts';
import { encodeReply, udpLimit } from '../wire/encode-reply.ts';
import { answerForError, badcookie, servfail } from '../wire/errors.ts';
import type { ServerCookies } from '../wire/server-cookie.ts';
import { unmapAddress } from './client-address.ts';
import type { FrontendCounters } from './frontend-counters.ts';
import type { InFlight } from './in-flight.ts';

export class UdpFront {
  readonly socket: dgram.Socket;
  private readonly resolver: Resolver;
  private readonly stats: DnsStats;
  private readonly counters: FrontendCounters;
  private readonly inFlight: InFlight;
  /** DNS cookies (`dns.cookies`); null when off. */
  private readonly cookies: ServerCookies | null;
  /** `dns.maxUdpSize`: the largest answer to a client a valid server cookie proves. */
  private readonly maxUdpSize: number;
  private stopping = false;

  constructor(
    socket: dgram.Socket,
    resolver: Resolver,
    stats: DnsStats,
    counters: FrontendCounters,
    inFlight: InFlight,
    cookies: ServerCookies | null,
    maxUdpSize: number,
  ) {
    this.socket = socket;
    this.resolver = resolver;
    this.stats = stats;
    this.counters = counters;
    this.inFlight = inFlight;
    this.cookies = cookies;
    this.maxUdpSize = maxUdpSize;
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    // Send failures (EMSGSIZE, ENOBUFS, unreachable peers) surface here; a lost reply is the client's
    // retry to make, never a reason to stop serving.
    socket.on('error', () => {});
  }

  /** Stops answering new queries; answers already waiting on the chain are still sent. */
  stopAccepting(): void {
    this.stopping = true;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }

  // The outermost guard: whatever a packet triggers, the socket keeps serving (V8 optimises try/catch,
  // so this costs the hit path nothing measurable).
  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    try {
      this.handle(msg, rinfo);
    } catch {
      this.counters.handlerErrors++;
    }
  }

  private handle(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.stopping) {
      this.counters.dropped++;
      return;
    }
    let q;
    try {
      q = parseQuery(msg, unmapAddress(rinfo.address), 'udp', performance.now(), this.cookies);
    } catch {
      q = null; // the parser bounds-checks; this is a last line of defence
    }
    if (q === null) {
      this.counters.dropped++;
      return;
    }
    if (q instanceof QueryError) {
      if (q.malformed) {
        this.counters.malformed++;
        this.stats.recordFrontend('udp', 'formerr', q.query.qtype);
      }
      this.send(q.query, answerForError(q), rinfo);
      return;
    }
    let answer;
    try {
      answer = this.resolver.resolve(q);
    } catch {
      answer = this.failed(q);
    }
    if (answer instanceof Promise) this.later(q, answer, rinfo);
    else this.send(q, answer, rinfo);
  }

  // The miss path: one promise reaction per query that waits on an upstream.
  private later(q: DnsQuery, answer: Promise<DnsAnswer>, rinfo: dgram.RemoteInfo): void {
    this.inFlight.add();
    answer.then(
      (a) => {
        this.inFlight.done();
        this.send(q, a, rinfo);
      },
      () => {
        this.inFlight.done();
        this.send(q, this.failed(q), rinfo);
      },
    );
  }

  /**
   * Whether a truncated reply was cut by the amplification cap alone, for a client that speaks
   * cookies: it sent one, without a valid server cookie, and its own size (up to dns.maxUdpSize) is
   * larger. Then BADCOOKIE with a fresh server cookie (RFC 7873 §5.2.3, choice 2) is cheaper than TC:
   * the client retries over UDP with the cookie (§5.3) instead of opening a TCP connection.
   */
  private cutByCap(q: DnsQuery, limit: number): boolean {
    if (q.cookie || q.cookieReply === undefined || q.cookieReply === null) return false;
    return (q.udpSize < this.maxUdpSize ? q.udpSize : this.maxUdpSize) > limit;
  }

  private failed(q: DnsQuery): DnsAnswer {
    this.counters.handlerErrors++;
    this.stats.recordFrontend('udp', 'servfail', q.qtype);
    return servfail();
  }

  private send(q: DnsQuery, answer: DnsAnswer, rinfo: dgram.RemoteInfo): void {
    if (answer.wire.length === 0) return; // DROP_WIRE: the chain chose silence
    try {
      const limit = udpLimit(q, this.maxUdpSize);
      let reply = encodeReply(q, answer, limit, 0);
      if ((reply[2] & 0x02) !== 0 && this.cutByCap(q, limit)) {
        this.counters.badCookie++;
        reply = encodeReply(q, badcookie(), limit, 0);
      }
      this.socket.send(reply, rinfo.port, rinfo.address);
    } catch {
      this.counters.handlerErrors++; // socket closed under us during stop, or a malformed answer
    }
  }
}
