// Decides whether and for how long an upstream answer is cached (slow path: once per miss).
import type { DnsAnswer } from '../resolver.ts';

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
 * The seconds `answer` stays fresh in the cache, or -1 when it must not be cached. `capOut[0]` gets
 * the upper clamp for every TTL in the stored wire (the negative cap for NXDOMAIN/NODATA), so that
 * clients see what the cache does.
 */
export function cacheTtl(answer: DnsAnswer, b: TtlBounds, capOut: Uint32Array): number {
  // Only what an upstream answered and the policy allowed; never errors, refusals or blocks.
  if (answer.result !== 'allowed' || answer.block !== undefined) return -1;
  const wire = answer.wire;
  if (wire.length < 12) return -1;
  if ((wire[2] & 0x02) !== 0) return -1; // truncated: the TCP retry's answer is the one to keep
  const rcode = wire[3] & 0x0f;
  if (rcode !== 0 && rcode !== 3) return -1;
  const offsets = answer.ttlOffsets;
  const negative = rcode === 3 || (wire[6] === 0 && wire[7] === 0);
  const cap = negative ? Math.min(b.negativeTtl, b.maxTtl) : b.maxTtl;

  let ttl = answer.ttl;
  if (ttl === undefined && offsets !== undefined && offsets.length > 0) {
    ttl = Infinity;
    for (const o of offsets) if (o + 4 <= wire.length) ttl = Math.min(ttl, wire.readUInt32BE(o));
  }
  if (ttl === undefined || !Number.isFinite(ttl)) return -1;
  ttl = Math.min(Math.max(ttl, b.minTtl), cap);
  if (ttl <= 0) return -1;
  capOut[0] = cap;
  return ttl;
}
