// The top link of the chain: counts every answer by protocol, type and result, times it from
// `query.received`, and feeds the blocked-name top-k. A synchronous answer stays synchronous: no
// promise and no closure on the hit path; only an answer that is already a promise gets a `.then`.
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
    let answer: MaybePromise<DnsAnswer>;
    try {
      answer = this.next.resolve(query);
    } catch (err) {
      // The front end turns a throwing chain into SERVFAIL; count it as such and let it through.
      this.stats.recordFrontend(query.protocol, 'servfail', query.qtype);
      throw err;
    }
    if (answer instanceof Promise) {
      return answer.then(
        (a) => {
          this.stats.record(query, a);
          return a;
        },
        (err: unknown) => {
          this.stats.recordFrontend(query.protocol, 'servfail', query.qtype);
          throw err;
        },
      );
    }
    this.stats.record(query, answer);
    return answer;
  }
}
