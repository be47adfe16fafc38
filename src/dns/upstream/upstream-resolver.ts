// The bottom link of the chain: conditional forwarding (zone → its upstream group), singleflight
// (identical concurrent misses share one upstream exchange), a cap on exchanges in flight, and the
// overall deadline. Each group races its upstreams with the parallel-best strategy.
//
// A failure resolves (never rejects) with a SERVFAIL answer carrying an Extended DNS Error, so the
// cache above can serve stale instead.
import type { Resolver, DnsQuery, DnsAnswer, MaybePromise } from '../resolver.ts';
import type { Config } from '../../config/schema.ts';
import type { DnsStats } from '../stats/dns-stats.ts';
import type { Logger } from '../../log.ts';
import { Exchange, type ExchangeOwner } from './exchange.ts';
import { ParallelBest } from './parallel-best.ts';
import { EDE_OVERLOADED, servfail } from '../wire/errors.ts';
import { Upstream } from './upstream.ts';
import { parseUpstreamUrl } from './upstream-url.ts';
import { answeringWindow, HealthProber } from './health-probe.ts';
import type { FailReason } from './transport.ts';
import type { FastHistogram } from '../../metrics/fast-histogram.ts';

/** Over `dns.maxPending`: one shared answer, since it is what a flood gets. */
const OVERLOADED = servfail(EDE_OVERLOADED);

export interface UpstreamHealth {
  readonly url: string;
  /** Not set aside after failures. */
  readonly healthy: boolean;
  /** Answered (a probe or a query) within the last 1.5 `dns.healthProbe.interval`: what /readyz asks. */
  readonly answering: boolean;
  readonly latencyMs: number;
  /** Used only by `dns.forward` zones (not one of `dns.upstreams`): readiness should not count it. */
  readonly forwardOnly?: boolean;
}

/** Per-upstream counters for the metrics module. */
export interface UpstreamCounters {
  readonly url: string;
  /** Answers by rcode (index 0..15). */
  readonly answers: Float64Array;
  readonly errors: Readonly<Record<FailReason, number>>;
  readonly healthy: boolean;
  readonly durations: FastHistogram;
}

export interface UpstreamResolver extends Resolver {
  health(): readonly UpstreamHealth[];
  /** Every distinct upstream (default and forward zones), for metrics. */
  counters(): readonly UpstreamCounters[];
  /** Exchanges in flight. */
  readonly pending: number;
  /** Starts probing the main upstreams every `dns.healthProbe.interval` (the app does, at start). */
  startHealthProbe(): void;
  close(): Promise<void>;
}

export interface UpstreamResolverOptions {
  /** Extra trusted CA for DoT/DoH upstreams (tests with a self-signed certificate). */
  readonly ca?: string | Buffer;
  /** How often a UDP upstream's socket (source port) is replaced; default 60 s (tests shorten it). */
  readonly udpRotateMs?: number;
}

export function createUpstreamResolver(
  cfg: Config['dns'],
  _stats: DnsStats,
  log: Logger,
  opts: UpstreamResolverOptions = {},
): UpstreamResolver {
  return new ForwardingResolver(cfg, log, opts);
}

/** Same question bytes (name case-insensitively, type, class). */
function sameQuestion(a: DnsQuery, b: DnsQuery): boolean {
  if (a.questionEnd !== b.questionEnd) return false;
  const pa = a.packet;
  const pb = b.packet;
  for (let i = 12; i < a.questionEnd; i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    // Equal only as the two cases of one ASCII letter (length bytes and other bytes must match).
    if ((x | 0x20) !== (y | 0x20) || (x | 0x20) < 0x61 || (x | 0x20) > 0x7a) return false;
  }
  return true;
}

class ForwardingResolver implements UpstreamResolver, ExchangeOwner {
  private readonly timeoutMs: number;
  private readonly maxPending: number;
  private readonly all = new Map<string, Upstream>();
  private readonly defaultGroup: ParallelBest;
  /** Forward zones (lower-case, no trailing dot) → group. */
  private readonly zones = new Map<string, ParallelBest>();
  private readonly inflight = new Map<string, Exchange>();
  /** Exchanges in start order = deadline order (one timeout for all). */
  private head: Exchange | null = null;
  private tail: Exchange | null = null;
  /** The first exchange not yet past its hedge time (the list is in start order, so is hedge order). */
  private hedgeCursor: Exchange | null = null;
  private readonly hedgeMs: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly prober: HealthProber;
  private readonly answeringMs: number;
  pending = 0;

  constructor(cfg: Config['dns'], log: Logger, opts: UpstreamResolverOptions) {
    this.timeoutMs = cfg.timeout;
    this.hedgeMs = cfg.timeout / 4;
    this.maxPending = cfg.maxPending;
    const group = (urls: readonly string[]): ParallelBest => {
      const g = new ParallelBest(this.timeoutMs);
      for (const url of urls) {
        let up = this.all.get(url);
        if (up === undefined) {
          const addr = parseUpstreamUrl(url);
          if (typeof addr === 'string') throw new Error(addr); // the config schema checked it already
          // Shared between groups: an attempt reports to its exchange's strategy, not to a fixed one.
          up = new Upstream(addr, {
            timeoutMs: this.timeoutMs,
            log,
            ca: opts.ca,
            udpRotateMs: opts.udpRotateMs,
          });
          this.all.set(url, up);
        }
        g.upstreams.push(up);
      }
      return g;
    };
    this.defaultGroup = group(cfg.upstreams);
    this.prober = new HealthProber(this.defaultGroup.upstreams, cfg.healthProbe.interval);
    this.answeringMs = answeringWindow(cfg.healthProbe.interval);
    for (const [zone, urls] of Object.entries(cfg.forward ?? {})) {
      this.zones.set(zone.toLowerCase().replace(/\.$/, ''), group(urls));
    }
  }

  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    const key = `${query.name}|${query.qtype}|${query.qclass}|${query.doBit ? 1 : 0}${query.cd ? 1 : 0}`;
    const shared = this.inflight.get(key);
    // The text key cannot tell a label holding a '.' byte from two labels: the wire question decides.
    if (shared !== undefined && sameQuestion(shared.query, query)) return shared.promise;
    if (this.pending >= this.maxPending) return OVERLOADED;
    const now = performance.now();
    const group = this.groupFor(query.name);
    const ex = new Exchange(query, key, group, this, now);
    if (shared === undefined) this.inflight.set(key, ex);
    this.pending++;
    this.append(ex);
    group.start(ex);
    return ex.promise;
  }

  /** Longest forward zone that is a suffix of `name` on a label boundary, else the default group. */
  private groupFor(name: string): ParallelBest {
    if (this.zones.size === 0) return this.defaultGroup;
    let suffix = name;
    for (;;) {
      const g = this.zones.get(suffix);
      if (g !== undefined) return g;
      if (suffix === '') return this.defaultGroup;
      const dot = suffix.indexOf('.');
      suffix = dot < 0 ? '' : suffix.slice(dot + 1);
    }
  }

  finished(ex: Exchange): void {
    if (this.inflight.get(ex.key) === ex) this.inflight.delete(ex.key);
    this.pending--;
    if (this.hedgeCursor === ex) this.hedgeCursor = ex.next;
    // Unlink from the deadline list.
    if (ex.prev !== null) ex.prev.next = ex.next;
    else if (this.head === ex) this.head = ex.next;
    if (ex.next !== null) ex.next.prev = ex.prev;
    else if (this.tail === ex) this.tail = ex.prev;
    ex.prev = ex.next = null;
  }

  private append(ex: Exchange): void {
    ex.prev = this.tail;
    if (this.tail !== null) this.tail.next = ex;
    else this.head = ex;
    this.tail = ex;
    this.hedgeCursor ??= ex;
    if (this.timer === null) this.arm();
  }

  private arm(): void {
    const head = this.head;
    if (head === null) return;
    let at = head.started + this.timeoutMs;
    if (this.hedgeCursor !== null) at = Math.min(at, this.hedgeCursor.started + this.hedgeMs);
    // One timer for every exchange, re-armed to the oldest deadline but firing at least every hedge
    // period, so an exchange started after arming is hedged at most one period late (never a timer
    // per query).
    const wait = Math.min(Math.max(0, at - performance.now()), this.hedgeMs);
    this.timer = setTimeout(this.expire, wait + 1);
    this.timer.unref();
  }

  private readonly expire = (): void => {
    this.timer = null;
    const now = performance.now();
    // Hedge: a query unanswered after a quarter of the timeout also goes to the next upstream
    // (when one is not set aside), so two silent racers do not cost the whole timeout.
    while (this.hedgeCursor !== null && this.hedgeCursor.started + this.hedgeMs <= now) {
      const ex = this.hedgeCursor;
      this.hedgeCursor = ex.next;
      ex.strategy.hedge(ex);
    }
    while (this.head !== null && this.head.started + this.timeoutMs <= now) {
      const ex = this.head;
      // Its strategy gives the SERVFAIL (an upstream's own, or ours with an EDE).
      ex.strategy.giveUp(ex);
    }
    this.arm();
  };

  startHealthProbe(): void {
    this.prober.start();
  }

  health(): readonly UpstreamHealth[] {
    const main = this.defaultGroup.upstreams;
    const now = performance.now();
    return [...this.all.values()].map((u) => ({
      url: u.url,
      healthy: u.healthy,
      answering: now - u.lastAnswerAt <= this.answeringMs,
      latencyMs: Math.round(u.latencyMs * 10) / 10,
      forwardOnly: !main.includes(u),
    }));
  }

  counters(): readonly UpstreamCounters[] {
    return [...this.all.values()];
  }

  async close(): Promise<void> {
    this.prober.stop();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const up of this.all.values()) up.close();
    // Whatever still waits gets its SERVFAIL now.
    while (this.head !== null) this.head.strategy.giveUp(this.head);
  }
}
