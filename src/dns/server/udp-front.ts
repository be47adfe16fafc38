// Answers DNS over one UDP socket: parse → chain → encode → send, synchronously when the chain can.
//
// The hit path allocates the query object, the answer object (the cache's) and one output buffer; no
// promise, no closure, no logging. Only answers that wait on an upstream take a `.then`.
//
// How datagrams arrive and leave is a UdpReplyPath: node:dgram (DgramReplies, below: one 'message'
// callback and one send per datagram) or the batched addon (batched-udp.ts: recvmmsg/sendmmsg, one
// JS call per batch, `dns.batchedIo`). The answer logic here is the same for both.
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

/** Where replies go; `T` says to whom (an rinfo, or a slot of the batched path). */
export interface UdpReplyPath<T> {
  /** Sends `reply` to `to` (never throws; a lost datagram is the client's retry to make). */
  send(reply: Buffer, to: T): void;
  /** Nothing will be sent to `to` (the chain chose silence, or encoding failed). */
  drop(to: T): void;
  /** A copy of `to` that outlives the current packet, for an answer that waits on an upstream. */
  hold(to: T): T;
  close(): Promise<void>;
}

/** node:dgram's path: the reply goes back to the rinfo the message came with. */
export class DgramReplies implements UdpReplyPath<dgram.RemoteInfo> {
  readonly socket: dgram.Socket;

  constructor(socket: dgram.Socket) {
    this.socket = socket;
    // Send failures (EMSGSIZE, ENOBUFS, unreachable peers) surface here; a lost reply is the client's
    // retry to make, never a reason to stop serving.
    socket.on('error', () => {});
  }

  /** Feeds each datagram to `front`. */
  listen(front: UdpFront<dgram.RemoteInfo>): void {
    this.socket.on('message', (msg, rinfo) => front.receive(msg, unmapAddress(rinfo.address), rinfo));
  }

  send(reply: Buffer, to: dgram.RemoteInfo): void {
    try {
      this.socket.send(reply, to.port, to.address);
    } catch {
      // socket closed under us during stop
    }
  }

  drop(): void {}

  hold(to: dgram.RemoteInfo): dgram.RemoteInfo {
    return to; // a fresh object per message already
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
}

export class UdpFront<T> {
  private readonly replies: UdpReplyPath<T>;
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
    replies: UdpReplyPath<T>,
    resolver: Resolver,
    stats: DnsStats,
    counters: FrontendCounters,
    inFlight: InFlight,
    cookies: ServerCookies | null,
    maxUdpSize: number,
  ) {
    this.replies = replies;
    this.resolver = resolver;
    this.stats = stats;
    this.counters = counters;
    this.inFlight = inFlight;
    this.cookies = cookies;
    this.maxUdpSize = maxUdpSize;
  }

  /** Stops answering new queries; answers already waiting on the chain are still sent. */
  stopAccepting(): void {
    this.stopping = true;
  }

  close(): Promise<void> {
    return this.replies.close();
  }

  /**
   * One datagram from `client` (its address as the policy and the logs expect it), to be answered to
   * `to`. `msg` must stay unchanged while the query is pending (the upstream link reads it).
   * The outermost guard: whatever a packet triggers, the socket keeps serving (V8 optimises
   * try/catch, so this costs the hit path nothing measurable).
   */
  receive(msg: Buffer, client: string, to: T): void {
    try {
      this.handle(msg, client, to);
    } catch {
      this.counters.handlerErrors++;
    }
  }

  private handle(msg: Buffer, client: string, to: T): void {
    if (this.stopping) {
      this.counters.dropped++;
      return;
    }
    let q;
    try {
      q = parseQuery(msg, client, 'udp', performance.now(), this.cookies);
    } catch {
      q = null; // the parser bounds-checks; this is a last line of defence
    }
    if (q === null) {
      this.counters.dropped++;
      this.replies.drop(to);
      return;
    }
    if (q instanceof QueryError) {
      if (q.malformed) {
        this.counters.malformed++;
        this.stats.recordFrontend('udp', 'formerr', q.query.qtype);
      }
      this.send(q.query, answerForError(q), to);
      return;
    }
    let answer;
    try {
      answer = this.resolver.resolve(q);
    } catch {
      answer = this.failed(q);
    }
    if (answer instanceof Promise) this.later(q, answer, to);
    else this.send(q, answer, to);
  }

  // The miss path: one promise reaction per query that waits on an upstream.
  private later(q: DnsQuery, answer: Promise<DnsAnswer>, to: T): void {
    const held = this.replies.hold(to);
    this.inFlight.add();
    answer.then(
      (a) => {
        this.inFlight.done();
        this.send(q, a, held);
      },
      () => {
        this.inFlight.done();
        this.send(q, this.failed(q), held);
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

  private send(q: DnsQuery, answer: DnsAnswer, to: T): void {
    if (answer.wire.length === 0) return this.replies.drop(to); // DROP_WIRE: the chain chose silence
    let reply;
    try {
      const limit = udpLimit(q, this.maxUdpSize);
      reply = encodeReply(q, answer, limit, 0);
      if ((reply[2] & 0x02) !== 0 && this.cutByCap(q, limit)) {
        this.counters.badCookie++;
        reply = encodeReply(q, badcookie(), limit, 0);
      }
    } catch {
      this.counters.handlerErrors++; // a malformed answer
      return this.replies.drop(to);
    }
    this.replies.send(reply, to);
  }
}
