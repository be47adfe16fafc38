// Hands every answer to the event ring, which decides (blocked, or sampled when every query is
// recorded) and turns it into an event for the store, the query-log file and the streams.
// A synchronous answer stays synchronous; only a promise gets a `.then`.
import {
  ChainedResolver,
  type DnsQuery,
  type DnsAnswer,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';
import type { DnsEventRing } from './dns-event-ring.ts';

export class QueryLoggingResolver extends ChainedResolver {
  private readonly queryLog: DnsEventRing;
  constructor(next: Resolver, queryLog: DnsEventRing) {
    super(next);
    this.queryLog = queryLog;
  }

  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    const answer = this.next.resolve(query);
    if (answer instanceof Promise) {
      return answer.then((a) => {
        this.queryLog.offer(query, a);
        return a;
      });
    }
    this.queryLog.offer(query, answer);
    return answer;
  }
}
