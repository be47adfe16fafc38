// Active probing of an upstream that has been set aside. Client traffic also probes (parallel-best
// adds a due upstream to a race), but without traffic an upstream would stay "unhealthy" for ever,
// and a readiness check built on that (/readyz) would keep traffic away: a deadlock. So when an
// upstream's backoff ends, it is asked for the root NS (which every resolver answers from its
// priming data); any answer brings it back.
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

const PROBE_OWNER: ExchangeOwner = { finished(): void {} };

/** Sends one health probe to `up`. */
export function sendProbe(up: Upstream): void {
  const ex = new Exchange(PROBE_QUERY, '', PROBE_STRATEGY, PROBE_OWNER, performance.now());
  up.send(ex);
}
