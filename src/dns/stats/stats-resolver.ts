// The top link of the chain: counts every answer by protocol, type and result, times it from
// `query.received`, and feeds the blocked-name top-k (DnsStats.record), through answer-tap.ts.
import type { Resolver } from '../resolver.ts';
import { AnswerTapResolver } from './answer-tap.ts';
import type { DnsStats } from './dns-stats.ts';

export class StatsResolver extends AnswerTapResolver {
  constructor(next: Resolver, stats: DnsStats) {
    super(next, stats);
  }
}
