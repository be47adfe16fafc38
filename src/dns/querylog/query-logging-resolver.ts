// Hands every answer to the query log, which decides (blocked, or sampled when `log: all`) and buffers.
// A synchronous answer stays synchronous; only a promise gets a `.then`.
import {
  ChainedResolver,
  type DnsQuery,
  type DnsAnswer,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';
import type { QueryLog } from './query-log.ts';

export class QueryLoggingResolver extends ChainedResolver {
  private readonly queryLog: QueryLog;
  constructor(next: Resolver, queryLog: QueryLog) {
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
