// Active health probes. Each probe asks an upstream for the root NS (which every resolver answers
// from its priming data); any answer but REFUSED counts as "answering".
//
// Two users: an upstream set aside after failures is probed when its backoff ends (Upstream), so it
// comes back without client traffic; and the main upstreams (`dns.upstreams`) are probed every
// `dns.healthProbe.interval` from start (HealthProber), so that /readyz tells the truth with no client
// traffic at all: ready once one answers, unready within 1.5 intervals after the last one stops
// (an upstream counts as answering while its last answer, to a probe or a client query, is younger
// than 1.5 intervals: one interval until the next probe, plus half of one for its answer).
import type { DnsQuery } from '../resolver.ts';
import type { UpstreamAnswer } from '../wire/answer-facts.ts';
import { Exchange, type ExchangeOwner, type Strategy } from './exchange.ts';
import type { Upstream } from './upstream.ts';

// `. IN NS` with RD: header, root name, type 2, class 1.
const PROBE_PACKET = Buffer.from('000001000001000000000000' + '00' + '0002' + '0001', 'hex');

const PROBE_QUERY: DnsQuery = Object.freeze({
  packet: PROBE_PACKET,
  id: 0,
  name: '',
  qtype: 2,
  qclass: 1,
  questionEnd: PROBE_PACKET.length,
  rd: true,
  cd: false,
  edns: false,
  udpSize: 512,
  doBit: false,
  cookie: false,
  client: '',
  protocol: 'internal',
  received: 0,
});

/** Answers and failures of a probe only matter to the upstream's own health, updated by Upstream. */
const PROBE_STRATEGY: Strategy = {
  onAnswer(ex: Exchange, _up: Upstream, _a: UpstreamAnswer): void {
    ex.finish({ wire: PROBE_PACKET, result: 'allowed' });
  },
  onFailure(ex: Exchange): void {
    if (ex.inFlight === 0) ex.finish({ wire: PROBE_PACKET, result: 'servfail' });
  },
  hedge(): void {},
  giveUp(ex: Exchange): void {
    ex.finish({ wire: PROBE_PACKET, result: 'servfail' });
  },
};

const NO_OWNER: ExchangeOwner = { finished(): void {} };

/** Sends one health probe to `up`; `owner.finished` runs when it is answered or has failed. */
export function sendProbe(up: Upstream, owner: ExchangeOwner = NO_OWNER): boolean {
  const ex = new Exchange(PROBE_QUERY, '', PROBE_STRATEGY, owner, performance.now());
  return up.send(ex);
}

/** How long an answer keeps an upstream "answering", for a probe interval. */
export function answeringWindow(intervalMs: number): number {
  return intervalMs * 1.5;
}

/** Probes every upstream given, every `intervalMs`, one probe in flight per upstream at most. */
export class HealthProber {
  private readonly upstreams: readonly Upstream[];
  private readonly intervalMs: number;
  /** The probe in flight for each upstream, so a silent one does not pile up probes. */
  private readonly waiting = new Set<Upstream>();
  private timer: NodeJS.Timeout | null = null;

  constructor(upstreams: readonly Upstream[], intervalMs: number) {
    this.upstreams = upstreams;
    this.intervalMs = intervalMs;
  }

  /** Probes at once (readiness should not wait an interval at start), then every interval. */
  start(): void {
    if (this.timer !== null) return;
    this.tick();
    this.timer = setInterval(this.tick, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private readonly tick = (): void => {
    for (const up of this.upstreams) {
      if (this.waiting.has(up)) continue;
      this.waiting.add(up);
      const owner: ExchangeOwner = { finished: () => this.waiting.delete(up) };
      if (!sendProbe(up, owner)) this.waiting.delete(up);
    }
  };
}
