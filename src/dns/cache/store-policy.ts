// Decides whether and for how long an upstream answer is cached, and clamps its TTLs (slow path).
import type { DnsAnswer } from '../resolver.ts';
import type { CacheEntry } from './cache-entry.ts';

export interface TtlBounds {
  /** Seconds. */
  readonly minTtl: number;
  readonly maxTtl: number;
  /** Cap for negative answers (NXDOMAIN, NODATA): RFC 2308 §5. */
  readonly negativeTtl: number;
  /** Seconds past expiry an entry may still be served when every upstream fails (RFC 8767). */
  readonly serveStale: number;
}

/**
 * Fixed overhead of an entry beside its wire bytes: the entry object, the key, the Buffer and
 * Uint16Array objects with their backing stores, the facts, lru-cache's slots. Measured here
 * (bench/cache-memory.ts, 100,000 one-A answers): 1,105 B of V8 heap and 2,387 B of RSS per entry,
 * against 343 B counted when this was 200. `dns.cache.maxBytes` is meant as memory, so count it.
 */
const ENTRY_OVERHEAD = 2000;

/** Builds the entry for `answer`, or returns null when it must not be cached. */
export function makeEntry(key: string, answer: DnsAnswer, now: number, b: TtlBounds): CacheEntry | null {
  // Only what an upstream answered and the policy allowed; never errors, refusals or blocks.
  if (answer.result !== 'allowed' || answer.block !== undefined) return null;
  let wire = answer.wire;
  if (wire.length < 12) return null;
  if ((wire[2] & 0x02) !== 0) return null; // truncated: the TCP retry's answer is the one to keep
  const rcode = wire[3] & 0x0f;
  if (rcode !== 0 && rcode !== 3) return null;
  const offsets = answer.ttlOffsets;
  const negative = rcode === 3 || (wire[6] === 0 && wire[7] === 0);
  const cap = negative ? Math.min(b.negativeTtl, b.maxTtl) : b.maxTtl;

  let ttl = answer.ttl;
  if (ttl === undefined && offsets !== undefined && offsets.length > 0) {
    ttl = Infinity;
    for (const o of offsets) if (o + 4 <= wire.length) ttl = Math.min(ttl, wire.readUInt32BE(o));
  }
  if (ttl === undefined || !Number.isFinite(ttl)) return null;
  ttl = Math.min(Math.max(ttl, b.minTtl), cap);
  if (ttl <= 0) return null;

  // Clamp every TTL in the wire too, so that clients see what the cache does (copy first: the
  // upstream's buffer may be shared with answers still being written).
  if (offsets !== undefined) {
    let copied = false;
    for (const o of offsets) {
      if (o + 4 > wire.length) continue;
      const t = wire.readUInt32BE(o);
      const c = Math.min(Math.max(t, b.minTtl), cap);
      if (c === t) continue;
      if (!copied) {
        wire = Buffer.from(wire);
        copied = true;
      }
      wire.writeUInt32BE(c, o);
    }
  }

  const facts = answer.facts;
  let size = ENTRY_OVERHEAD + wire.length + key.length * 2 + (offsets?.byteLength ?? 0);
  if (facts !== undefined) {
    for (const t of facts.targets) size += 16 + t.length * 2;
    for (const a of facts.addresses) size += 16 + a.length * 2;
  }
  return {
    wire,
    ttlOffsets: offsets,
    facts,
    storedAt: now,
    ttl,
    rcode,
    expires: now + ttl * 1000,
    staleUntil: now + (ttl + b.serveStale) * 1000,
    size,
    hits: 0,
    refreshing: false,
    retryAfter: 0,
    memo: undefined,
    memoElapsed: -1,
  };
}
