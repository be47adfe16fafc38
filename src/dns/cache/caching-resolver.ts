// The cache link: upstream answers kept as wire bytes in a slab arena (./arena.ts), served
// synchronously on a hit.
//
// A hit costs one hash-table probe over the query's name bytes (no key string); for names asked
// often the answer object too is shared (./hit-answers.ts), and the front end writes the client's
// packet from the slab's bytes in one copy, lowering TTLs by `ttlElapsed`. Bounded by entries and by
// bytes; serve-stale (RFC 8767) when the next link fails; prefetch of names asked often that are
// about to expire. Only 'allowed' upstream answers are stored: the blocking link above
// re-judges every hit against the current policy, so a policy reload never needs a flush.
import {
  ChainedResolver,
  type DnsQuery,
  type DnsAnswer,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';
import type { Config } from '../../config/schema.ts';
import type { DnsStats } from '../stats/dns-stats.ts';
import { FAILURE_RECHECK_MS, HitAnswers } from './hit-answers.ts';
import { cacheTtl, type TtlBounds } from './store-policy.ts';
import { PacketArena } from './arena.ts';

export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly stale: number;
  readonly prefetches: number;
  readonly entries: number;
  readonly bytes: number;
}

export class CachingResolver extends ChainedResolver {
  // Plain numbers on the hot path; published by ./metrics.ts at scrape time.
  hits = 0;
  misses = 0;
  staleServed = 0;
  prefetches = 0;
  private readonly enabled: boolean;
  private readonly bounds: TtlBounds;
  private readonly prefetchOn: boolean;
  private readonly minHits: number;
  private readonly threshold: number;
  private readonly arena: PacketArena;
  private readonly answers: HitAnswers;
  private readonly cap = new Uint32Array(1);

  constructor(next: Resolver, cfg: Config['dns']['cache'], _stats: DnsStats) {
    super(next);
    this.enabled = cfg.enabled;
    this.bounds = {
      minTtl: Math.floor(cfg.minTtl / 1000),
      maxTtl: Math.floor(cfg.maxTtl / 1000),
      negativeTtl: Math.floor(cfg.negativeTtl / 1000),
      serveStale: Math.floor(cfg.serveStale / 1000),
    };
    this.prefetchOn = cfg.prefetch.enabled;
    this.minHits = cfg.prefetch.minHits;
    this.threshold = cfg.prefetch.threshold;
    this.arena = new PacketArena(cfg.maxBytes, cfg.maxEntries, this.bounds.serveStale * 1000);
    this.answers = new HitAnswers(this.arena);
  }

  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    if (!this.enabled) return this.next.resolve(query);
    const now = query.received;
    const a = this.arena;
    let slot = a.lookup(query);
    if (slot >= 0) {
      const expires = a.storedAt[slot] + a.ttl[slot] * 1000;
      if (now < expires) {
        this.hits++;
        a.markHot(slot);
        if (this.prefetchOn && ++a.hits[slot] >= this.minHits && !a.isRefreshing(slot)) {
          if (expires - now < a.ttl[slot] * 1000 * this.threshold) this.prefetch(slot, query);
        }
        return this.answers.hit(slot, now);
      }
      if (now >= expires + this.bounds.serveStale * 1000) {
        a.remove(slot);
        slot = -1;
      } else if (now < a.retryAfter[slot]) {
        // The upstream failed for this name moments ago: stale now beats stale after its timeout.
        this.staleServed++;
        return this.answers.stale(slot);
      }
    }
    this.misses++;
    return this.fetch(slot >= 0, query);
  }

  /** Asks the next link; falls back to the expired entry still in its window when it fails. */
  private fetch(hasStale: boolean, query: DnsQuery): MaybePromise<DnsAnswer> {
    let answer: MaybePromise<DnsAnswer>;
    try {
      answer = this.next.resolve(query);
    } catch (err) {
      if (hasStale) return this.serveStale(query, err);
      throw err;
    }
    if (!(answer instanceof Promise)) return this.settle(hasStale, answer, query);
    return answer.then(
      (a) => this.settle(hasStale, a, query),
      (err: unknown) => {
        if (hasStale) return this.serveStale(query, err);
        throw err;
      },
    );
  }

  private settle(hasStale: boolean, answer: DnsAnswer, query: DnsQuery): DnsAnswer {
    if (hasStale && failed(answer)) return this.serveStale(query, answer);
    this.store(query, answer);
    return answer;
  }

  /** The stale entry of `query` if it is still there (inserts may have evicted it), else `failure`. */
  private serveStale(query: DnsQuery, failure: unknown): DnsAnswer {
    const slot = this.arena.lookup(query);
    if (slot < 0) {
      if (failure instanceof Error || !isAnswer(failure)) throw failure;
      return failure;
    }
    this.arena.retryAfter[slot] = query.received + FAILURE_RECHECK_MS;
    this.staleServed++;
    return this.answers.stale(slot);
  }

  // Stored as of when the query arrived: the age then includes the upstream's round trip, erring on the
  // side of a shorter TTL, and the clock is the one tests control.
  private store(query: DnsQuery, answer: DnsAnswer): void {
    const ttl = cacheTtl(answer, this.bounds, this.cap);
    if (ttl < 0) return;
    const b = this.bounds;
    this.arena.insert(query, answer.wire, answer.ttlOffsets, query.received, ttl, b.minTtl, this.cap[0]);
  }

  /** One background refresh of an entry about to expire; the client is answered from the cache. */
  private prefetch(slot: number, query: DnsQuery): void {
    const a = this.arena;
    a.setRefreshing(slot, true);
    this.prefetches++;
    // Our own copy of the packet: the front end may reuse the client's buffer once it has answered.
    const own: DnsQuery = { ...query, packet: Buffer.from(query.packet), protocol: 'internal' };
    // A new answer resets the flag (insert); otherwise clear it if the key still has this slot.
    const release = () => {
      if (a.lookup(query) === slot) a.setRefreshing(slot, false);
    };
    const done = (answer: DnsAnswer) => {
      if (!failed(answer)) this.store(query, answer);
      release();
    };
    try {
      const r = this.next.resolve(own);
      if (r instanceof Promise) r.then(done, release);
      else done(r);
    } catch {
      release();
    }
  }

  flush(): void {
    this.arena.clear();
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.arena.entries, bytes: this.arena.bytes };
  }

  stats(): CacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      stale: this.staleServed,
      prefetches: this.prefetches,
      entries: this.arena.entries,
      bytes: this.arena.bytes,
    };
  }
}

function isAnswer(v: unknown): v is DnsAnswer {
  return typeof v === 'object' && v !== null && 'wire' in v;
}

/** The next link could not get an answer: time for serve-stale. */
function failed(a: DnsAnswer): boolean {
  return a.result === 'servfail' || (a.wire.length >= 12 && (a.wire[3] & 0x0f) === 2);
}
