// The rate-limit link (`dns.rateLimit`): a token bucket per client network (IPv4 /32 and IPv6 /64 by
// default), refilled at `qps` up to `burst`. A query over the limit is answered REFUSED or dropped.
//
// The bucket table is bounded by `maxClients`: when full, the least recently active network gives up
// its slot (a flood of spoofed sources cannot grow memory). Buckets live in typed arrays indexed by a
// slot number, so the per-query cost is one Map lookup and a few float operations, without allocation
// for IPv4 /32 keys (the address string is the key). Measured on this machine: 1,000 clients at
// 6–13 M checks/s for the link alone, i.e. < 0.2 µs per query
// (test/dns/ratelimit/rate-limiting-resolver.test.ts prints it).
import { DROP_WIRE, type DnsAnswer, type DnsQuery, type Resolver } from '../resolver.ts';
import { GuardResolver } from '../guard-resolver.ts';
import type { z } from 'zod';
import type { rateLimitSchema } from './config.ts';
import type { DnsStats } from '../stats/dns-stats.ts';
import { networkKey } from '../../net/cidr.ts';
import { refused } from '../wire/errors.ts';

/** A client's LRU position is refreshed at most this often: a Map delete+set per query is not free. */
const TOUCH_EVERY_MS = 1000;
/** Bound on the address → network-key cache used when keys are not the address itself. */
const KEY_CACHE = 4096;

/** Shared by every dropped query: the front end sends nothing for an empty wire. */
const DROPPED: DnsAnswer = { wire: DROP_WIRE, result: 'ratelimited' };
/** Shared by every refused one: REFUSED counted as ratelimited (the front end adds the question). */
const RATELIMITED = refused(undefined, 'ratelimited');

export type RateLimitConfig = z.output<typeof rateLimitSchema>;

export class RateLimitingResolver extends GuardResolver {
  private readonly perMs: number;
  private readonly burst: number;
  private readonly drop: boolean;
  private readonly v4Bits: number;
  private readonly v6Bits: number;
  private readonly maxClients: number;
  /** network key → slot; Map order is the LRU order (oldest first). */
  private readonly slots = new Map<string, number>();
  private readonly tokens: Float64Array;
  private readonly last: Float64Array;
  private readonly touched: Float64Array;
  private readonly keyCache = new Map<string, string>();
  /** Queries refused or dropped here since start (the stats link counts them as result="ratelimited"). */
  limited = 0;
  /** Buckets evicted to stay within maxClients. */
  evicted = 0;

  constructor(next: Resolver, cfg: RateLimitConfig, _stats: DnsStats) {
    super(next);
    this.perMs = cfg.qps / 1000;
    this.burst = cfg.burst;
    this.drop = cfg.action === 'drop';
    this.v4Bits = cfg.ipv4Prefix;
    this.v6Bits = cfg.ipv6Prefix;
    this.maxClients = cfg.maxClients;
    this.tokens = new Float64Array(cfg.maxClients);
    this.last = new Float64Array(cfg.maxClients);
    this.touched = new Float64Array(cfg.maxClients);
  }

  /** How many client networks hold a bucket now (never more than maxClients). */
  get clients(): number {
    return this.slots.size;
  }

  protected answer(query: DnsQuery): DnsAnswer | null {
    // The proxy's lookups carry the proxy client's address and spend that client's tokens, like its
    // own DNS queries (issue 12.6); only banwall's own queries (no client) pass freely.
    if (query.client === '') return null;
    const now = query.received;
    const key = this.keyOf(query.client);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.admit(key, now);
    } else if (now - this.touched[slot] > TOUCH_EVERY_MS) {
      this.slots.delete(key);
      this.slots.set(key, slot);
      this.touched[slot] = now;
    }
    const elapsed = now - this.last[slot];
    let t = this.tokens[slot] + (elapsed > 0 ? elapsed * this.perMs : 0);
    if (t > this.burst) t = this.burst;
    if (elapsed > 0) this.last[slot] = now;
    if (t >= 1) {
      this.tokens[slot] = t - 1;
      return null;
    }
    this.tokens[slot] = t;
    this.limited++;
    return this.drop ? DROPPED : RATELIMITED;
  }

  private keyOf(client: string): string {
    // The common case, an IPv4 client limited per address: the string the socket gave is the key.
    if (this.v4Bits === 32 && client.indexOf(':') < 0) return client;
    let key = this.keyCache.get(client);
    if (key === undefined) {
      key = networkKey(client, this.v4Bits, this.v6Bits);
      if (this.keyCache.size >= KEY_CACHE) this.keyCache.clear();
      this.keyCache.set(client, key);
    }
    return key;
  }

  /** A full bucket for a new network, in a free slot or in the least recently active one's. */
  private admit(key: string, now: number): number {
    let slot: number;
    if (this.slots.size < this.maxClients) {
      slot = this.slots.size;
    } else {
      const oldest = this.slots.entries().next().value as [string, number];
      this.slots.delete(oldest[0]);
      slot = oldest[1];
      this.evicted++;
    }
    this.slots.set(key, slot);
    this.tokens[slot] = this.burst;
    this.last[slot] = now;
    this.touched[slot] = now;
    return slot;
  }
}
