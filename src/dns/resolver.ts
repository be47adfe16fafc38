// The one interface every link of the resolver chain implements (Blocky's Resolver, in TypeScript).
//
// A link answers synchronously when it can (cache hits, blocked names, refusals) and with a promise
// only when it must wait (upstreams). Keeping the hit path synchronous avoids a promise and a closure
// per query, which is what lets the chain stay within reach of a bare dgram responder.

import type { BlockMatch } from '../policy/snapshot.ts';

export type Protocol = 'udp' | 'tcp' | 'dot' | 'doh' | 'internal';

/** Why an answer is what it is. Flows to metrics, the query log and Extended DNS Errors. */
export type Result =
  'allowed' | 'blocked' | 'cached' | 'stale' | 'refused' | 'ratelimited' | 'servfail' | 'formerr';

export const RESULTS: readonly Result[] = [
  'allowed',
  'blocked',
  'cached',
  'stale',
  'refused',
  'ratelimited',
  'servfail',
  'formerr',
];

/** A parsed client query. Built once by the front end; links read it and never copy it. */
export interface DnsQuery {
  /** The query as received, header included. */
  readonly packet: Buffer;
  readonly id: number;
  /** Lower-cased, without the trailing dot; '' for the root. */
  readonly name: string;
  readonly qtype: number;
  readonly qclass: number;
  /** Offset just past the question section in `packet`. */
  readonly questionEnd: number;
  readonly rd: boolean;
  readonly cd: boolean;
  /** Whether the query carried an OPT record (EDNS0). */
  readonly edns: boolean;
  /** The client's advertised UDP payload size (512 without EDNS, clamped to [512, 65535]). */
  readonly udpSize: number;
  /** The DNSSEC OK bit. */
  readonly doBit: boolean;
  /**
   * The client's source address is proven: its query carried a valid server cookie (RFC 7873/9018),
   * or it came over a connection. Only then may a UDP answer exceed the 1232-byte amplification cap.
   */
  readonly cookie: boolean;
  /** The COOKIE option data for the reply (client cookie + a fresh server cookie); absent without one. */
  readonly cookieReply?: Buffer | null;
  /** The client's address as the socket reports it (IPv4-mapped IPv6 unmapped). */
  readonly client: string;
  readonly protocol: Protocol;
  /** performance.now() when the query arrived. */
  readonly received: number;
}

/** Extended DNS Error (RFC 8914) attached to an answer. */
export interface Ede {
  readonly code: number;
  readonly text: string;
}

/**
 * An answer travelling back up the chain.
 *
 * `wire` is a DNS message without an OPT record; it is never modified in place (the cache shares it
 * between hits). The front end writes the final packet in one copy: the query's ID and question bytes,
 * TTLs lowered by `ttlElapsed` (or set to `ttlFixed`) at `ttlOffsets`, an OPT record when the client
 * sent one (with `ede`), and truncation to the client's UDP size.
 */
export interface DnsAnswer {
  readonly wire: Buffer;
  readonly result: Result;
  /** How long the answer may be cached, in seconds (min RR TTL, or the RFC 2308 negative TTL). */
  readonly ttl?: number;
  /** Offsets of every TTL field in `wire` that the front end may rewrite. */
  readonly ttlOffsets?: Uint16Array;
  /** Seconds spent in the cache, subtracted from every TTL (the result is never below 0). */
  readonly ttlElapsed?: number;
  /** When > 0, every TTL is set to this (serve-stale answers use 30 s, RFC 8767). */
  readonly ttlFixed?: number;
  readonly ede?: Ede;
  /** Set when the policy blocked the query: which rule of which list, for which app. */
  readonly block?: BlockMatch;
  /** Set when a list in monitor (dry-run) mode would have blocked: answered as allowed, but counted. */
  readonly monitor?: BlockMatch;
  /** Names and addresses in the answer, for the blocking link's CNAME-cloaking and IP checks. */
  readonly facts?: AnswerFacts;
  /** Upper 8 bits of a 12-bit rcode, written into the reply's OPT record (BADVERS = 1, RFC 6891). */
  readonly extendedRcode?: number;
}

/** What the blocking link needs to know about an upstream answer, extracted once on the slow path. */
export interface AnswerFacts {
  /** Names the answer points at (CNAME/DNAME/NS/MX/SRV/SVCB/HTTPS), lower-cased, no trailing dot. */
  readonly targets: readonly string[];
  /** A and AAAA addresses, and SVCB/HTTPS ipv4hint/ipv6hint, in text form. */
  readonly addresses: readonly string[];
}

/** An answer whose wire is empty tells the front end to send nothing (rate-limit `drop`). */
export const DROP_WIRE: Buffer = Buffer.alloc(0);

export type MaybePromise<T> = T | Promise<T>;

export interface Resolver {
  resolve(query: DnsQuery): MaybePromise<DnsAnswer>;
}

/** A link that hands what it does not answer to the next one. */
export abstract class ChainedResolver implements Resolver {
  protected readonly next: Resolver;
  constructor(next: Resolver) {
    this.next = next;
  }
  abstract resolve(query: DnsQuery): MaybePromise<DnsAnswer>;
}

/** Applies `fn` to a maybe-promise without creating a promise when the value is already there. */
export function mapAnswer<T, U>(value: MaybePromise<T>, fn: (v: T) => U): MaybePromise<U> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}
