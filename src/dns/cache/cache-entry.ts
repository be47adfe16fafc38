// What the cache keeps per key: an upstream answer as wire bytes plus what was extracted from it once.
import type { AnswerFacts, DnsAnswer } from '../resolver.ts';
import { EDE_CODE } from '../wire/constants.ts';

export interface CacheEntry {
  /** The answer without OPT, TTLs already clamped; shared by every hit, never modified. */
  readonly wire: Buffer;
  readonly ttlOffsets: Uint16Array | undefined;
  readonly facts: AnswerFacts | undefined;
  /** performance.now() when stored. */
  readonly storedAt: number;
  /** Seconds the entry is fresh for (after the min/max/negative clamps). */
  readonly ttl: number;
  readonly rcode: number;
  /** performance.now() after which the entry is stale. */
  readonly expires: number;
  /** performance.now() after which not even serve-stale may use it (RFC 8767). */
  readonly staleUntil: number;
  /** Estimated bytes held, for `maxBytes`. */
  readonly size: number;
  /** Hits since stored, for prefetch. */
  hits: number;
  /** A background refresh is on its way: no second one. */
  refreshing: boolean;
  /**
   * After a failed refresh, serve stale at once until then without asking upstream again (RFC 8767
   * §5 "failure recheck timer"): clients of a dead upstream get an answer now, not after its timeout.
   */
  retryAfter: number;
  /** The last hit answer and its `ttlElapsed`: hits within the same second share one object. */
  memo: DnsAnswer | undefined;
  memoElapsed: number;
}

/** RFC 8767 §4: a stale answer is served with TTL 30 s. */
export const STALE_TTL = 30;

/** RFC 8767 §5: wait this long after a failed refresh before asking upstream again. */
export const FAILURE_RECHECK_MS = 30_000;

const STALE_EDE = { code: EDE_CODE.STALE_ANSWER, text: 'Stale Answer' } as const;

export function hitAnswer(e: CacheEntry, now: number): DnsAnswer {
  const elapsed = ((now - e.storedAt) / 1000) | 0;
  // Answers are immutable, and TTLs move in whole seconds: a popular name costs no allocation here.
  if (e.memoElapsed === elapsed && e.memo !== undefined) return e.memo;
  e.memoElapsed = elapsed;
  return (e.memo = {
    wire: e.wire,
    result: 'cached',
    ttl: e.ttl - elapsed,
    ttlOffsets: e.ttlOffsets,
    ttlElapsed: elapsed,
    facts: e.facts,
  });
}

export function staleAnswer(e: CacheEntry): DnsAnswer {
  return {
    wire: e.wire,
    result: 'stale',
    ttl: STALE_TTL,
    ttlOffsets: e.ttlOffsets,
    ttlFixed: STALE_TTL,
    facts: e.facts,
    ede: STALE_EDE,
  };
}
