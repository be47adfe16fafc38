// Blocky's parallel-best strategy: race the two best upstreams (by EWMA latency and error rate);
// the first good answer wins. An upstream that fails is set aside (see upstream.ts) and probed again
// when its backoff ends, alongside the two best. SERVFAIL/REFUSED (or FORMERR/NOTIMP) from one
// upstream waits for the others; when every attempt has failed, the next untried upstream gets the query while time remains.
import type { DnsAnswer } from '../resolver.ts';
import type { UpstreamAnswer } from '../wire/answer-facts.ts';
import type { Exchange, Strategy } from './exchange.ts';
import { EDE_NETWORK_ERROR, EDE_NO_REACHABLE_AUTHORITY, servfail } from '../wire/errors.ts';
import type { FailReason } from './transport.ts';
import type { Upstream } from './upstream.ts';

const NETWORK_ERROR = servfail(EDE_NETWORK_ERROR);
const NO_REACHABLE_AUTHORITY = servfail(EDE_NO_REACHABLE_AUTHORITY);

/** Rcodes that say nothing about the name (FORMERR, SERVFAIL, NOTIMP, REFUSED): another upstream may do better. */
const RETRY_RCODES = (1 << 1) | (1 << 2) | (1 << 4) | (1 << 5);
/** One race in this many tries a random third upstream instead of the second best, to keep measuring it. */
const EXPLORE_ONE_IN = 32;

export class ParallelBest implements Strategy {
  readonly upstreams: Upstream[] = [];
  private readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Sends `ex` to the two best upstreams plus any due for a probe. */
  start(ex: Exchange): void {
    const ups = this.upstreams;
    if (ups.length === 1) {
      if (!ups[0].send(ex)) this.giveUp(ex);
      return;
    }
    const now = performance.now();
    let best: Upstream | null = null;
    let second: Upstream | null = null;
    let bestScore = Infinity;
    let secondScore = Infinity;
    let sent = 0;
    for (let i = 0; i < ups.length; i++) {
      const up = ups[i];
      if (now < up.downUntil) continue;
      if (up.failures > 0) {
        // Its backoff is over: probe it, and keep it aside until the probe tells.
        up.downUntil = now + this.timeoutMs;
        if (up.send(ex)) sent++;
        continue;
      }
      const s = up.score(now);
      if (s < bestScore) {
        second = best;
        secondScore = bestScore;
        best = up;
        bestScore = s;
      } else if (s < secondScore) {
        second = up;
        secondScore = s;
      }
    }
    if (second !== null && ups.length > 2 && Math.random() * EXPLORE_ONE_IN < 1) {
      const other = ups[(Math.random() * ups.length) | 0];
      if (other !== best && other.failures === 0 && now >= other.downUntil) second = other;
    }
    if (best !== null && best.send(ex)) sent++;
    if (second !== null && second.send(ex)) sent++;
    if (sent === 0) this.next(ex);
  }

  onAnswer(ex: Exchange, _up: Upstream, a: UpstreamAnswer): void {
    if (ex.done) return;
    if (((RETRY_RCODES >> a.rcode) & 1) !== 0) {
      ex.fallback ??= { wire: a.wire, result: 'servfail', ttl: 0, ttlOffsets: a.ttlOffsets };
      if (ex.inFlight === 0) this.next(ex);
      return;
    }
    const answer: DnsAnswer = {
      wire: a.wire,
      result: 'allowed',
      ttl: a.ttl,
      ttlOffsets: a.ttlOffsets,
      facts: a.facts,
    };
    ex.finish(answer);
  }

  onFailure(ex: Exchange, _up: Upstream, reason: FailReason): void {
    if (ex.done) return;
    if (reason !== 'timeout') ex.networkError = true;
    if (ex.inFlight === 0) this.next(ex);
  }

  /** Slow racers: add the best untried upstream that is not set aside, if there is one. */
  hedge(ex: Exchange): void {
    const now = performance.now();
    let pick: Upstream | null = null;
    let pickScore = Infinity;
    for (const up of this.upstreams) {
      if (now < up.downUntil || ex.tried.includes(up)) continue;
      const s = up.score(now);
      if (s < pickScore) {
        pick = up;
        pickScore = s;
      }
    }
    pick?.send(ex);
  }

  /** Every attempt so far failed: try the best untried upstream (set aside or not), else give up. */
  private next(ex: Exchange): void {
    for (;;) {
      // Available upstreams first (by score), then the one set aside that is due soonest.
      const now = performance.now();
      let pick: Upstream | null = null;
      let pickDue = Infinity;
      let pickScore = Infinity;
      for (const up of this.upstreams) {
        if (ex.tried.includes(up)) continue;
        const due = up.downUntil > now ? up.downUntil : now;
        const score = up.score(now);
        if (due < pickDue || (due === pickDue && score < pickScore)) {
          pick = up;
          pickDue = due;
          pickScore = score;
        }
      }
      if (pick === null) return this.giveUp(ex);
      if (pick.send(ex)) return;
      ex.tried.push(pick); // full: do not pick it again
    }
  }

  /** No attempt left: the upstream's own SERVFAIL if we have one, else ours with an EDE. */
  giveUp(ex: Exchange): void {
    ex.finish(ex.fallback ?? (ex.networkError ? NETWORK_ERROR : NO_REACHABLE_AUTHORITY));
  }
}
