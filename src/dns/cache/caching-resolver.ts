// The cache link: upstream answers kept as wire bytes in an lru-cache, served synchronously on a hit.
//
// A hit costs a key string, one Map lookup and one small answer object; the wire is shared and the
// front end writes the client's packet from it in one copy, lowering TTLs by `ttlElapsed`. Bounded by
// entries and by bytes; serve-stale (RFC 8767) when the next link fails; prefetch of names asked often
// that are about to expire. Only 'allowed' upstream answers are stored: the blocking link above
// re-judges every hit against the current policy, so a policy reload never needs a flush.
import { LRUCache } from 'lru-cache';
import {
  ChainedResolver,
  type DnsQuery,
  type DnsAnswer,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';
import type { Config } from '../../config/schema.ts';
import type { DnsStats } from '../stats/dns-stats.ts';
import { FAILURE_RECHECK_MS, hitAnswer, staleAnswer, type CacheEntry } from './cache-entry.ts';
import { makeEntry, type TtlBounds } from './store-policy.ts';

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
  private readonly lru: LRUCache<string, CacheEntry>;

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
    this.lru = new LRUCache<string, CacheEntry>({
      max: cfg.maxEntries,
      maxSize: Math.max(cfg.maxBytes, 1),
      sizeCalculation: (e) => e.size,
    });
  }

  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    if (!this.enabled) return this.next.resolve(query);
    const key = cacheKey(query);
    const now = query.received;
    let entry = this.lru.get(key);
    if (entry !== undefined) {
      if (now < entry.expires) {
        this.hits++;
        if (this.prefetchOn && ++entry.hits >= this.minHits && !entry.refreshing) {
          if (entry.expires - now < entry.ttl * 1000 * this.threshold) this.prefetch(key, entry, query);
        }
        return hitAnswer(entry, now);
      }
      if (now >= entry.staleUntil) {
        this.lru.delete(key);
        entry = undefined;
      } else if (now < entry.retryAfter) {
        // The upstream failed for this name moments ago: stale now beats stale after its timeout.
        this.staleServed++;
        return staleAnswer(entry);
      }
    }
    this.misses++;
    return this.fetch(key, entry, query);
  }

  /** Asks the next link; falls back to `stale` (an expired entry still in its window) when it fails. */
  private fetch(key: string, stale: CacheEntry | undefined, query: DnsQuery): MaybePromise<DnsAnswer> {
    let answer: MaybePromise<DnsAnswer>;
    try {
      answer = this.next.resolve(query);
    } catch (err) {
      if (stale !== undefined) return this.serveStale(stale, query.received);
      throw err;
    }
    if (!(answer instanceof Promise)) return this.settle(key, stale, answer, query);
    return answer.then(
      (a) => this.settle(key, stale, a, query),
      (err: unknown) => {
        if (stale !== undefined) return this.serveStale(stale, query.received);
        throw err;
      },
    );
  }

  private settle(key: string, stale: CacheEntry | undefined, answer: DnsAnswer, query: DnsQuery): DnsAnswer {
    if (stale !== undefined && failed(answer)) return this.serveStale(stale, query.received);
    this.store(key, answer, query.received);
    return answer;
  }

  private serveStale(entry: CacheEntry, now: number): DnsAnswer {
    entry.retryAfter = now + FAILURE_RECHECK_MS;
    this.staleServed++;
    return staleAnswer(entry);
  }

  // Stored as of when the query arrived: the age then includes the upstream's round trip, erring on the
  // side of a shorter TTL, and the clock is the one tests control.
  private store(key: string, answer: DnsAnswer, at: number): void {
    const entry = makeEntry(key, answer, at, this.bounds);
    if (entry !== null) this.lru.set(key, entry);
  }

  /** One background refresh of an entry about to expire; the client is answered from the cache. */
  private prefetch(key: string, entry: CacheEntry, query: DnsQuery): void {
    entry.refreshing = true;
    this.prefetches++;
    // Our own copy of the packet: the front end may reuse the client's buffer once it has answered.
    const own: DnsQuery = { ...query, packet: Buffer.from(query.packet), protocol: 'internal' };
    const done = (a: DnsAnswer) => {
      entry.refreshing = false;
      if (!failed(a)) this.store(key, a, query.received);
    };
    try {
      const a = this.next.resolve(own);
      if (a instanceof Promise) a.then(done, () => (entry.refreshing = false));
      else done(a);
    } catch {
      entry.refreshing = false;
    }
  }

  flush(): void {
    this.lru.clear();
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.lru.size, bytes: this.lru.calculatedSize };
  }

  stats(): CacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      stale: this.staleServed,
      prefetches: this.prefetches,
      entries: this.lru.size,
      bytes: this.lru.calculatedSize,
    };
  }
}

/** name + type + class + DO bit (the name is already lower-cased by the parser). */
export function cacheKey(q: DnsQuery): string {
  // DO and CD change what the upstream sends back (signatures; unvalidated data): separate entries.
  return (
    (q.doBit ? 'D' : '') + (q.cd ? 'C' : '') + q.qtype + (q.qclass === 1 ? ' ' : `/${q.qclass} `) + q.name
  );
}

/** The next link could not get an answer: time for serve-stale. */
function failed(a: DnsAnswer): boolean {
  return a.result === 'servfail' || (a.wire.length >= 12 && (a.wire[3] & 0x0f) === 2);
}
