// The top link of the chain: counts every answer by protocol, type and result, times it from
// `query.received`, and feeds the blocked-name top-k. A synchronous answer stays synchronous: no
// promise and no closure on the hit path; only an answer that is already a promise gets a `.then`.
// A link that throws or rejects is not counted here: the front end that catches it answers SERVFAIL
// and counts it (DnsStats.recordFrontend), so counting it here too would count it twice.
import {
  ChainedResolver,
  type DnsQuery,
  type DnsAnswer,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';
import type { DnsStats } from './dns-stats.ts';

export class StatsResolver extends ChainedResolver {
  private readonly stats: DnsStats;
  constructor(next: Resolver, stats: DnsStats) {
    super(next);
    this.stats = stats;
  }

  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    const answer = this.next.resolve(query);
    if (answer instanceof Promise) {
      return answer.then((a) => {
        this.stats.record(query, a);
        return a;
      });
    }
    this.stats.record(query, answer);
    return answer;
  }
}
