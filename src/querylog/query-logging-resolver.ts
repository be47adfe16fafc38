// STUB (owned by the observability helper).
import {
  ChainedResolver,
  type DnsQuery,
  type DnsAnswer,
  type MaybePromise,
  type Resolver,
} from '../dns/resolver.ts';
import type { QueryLog } from './query-log.ts';

export class QueryLoggingResolver extends ChainedResolver {
  private readonly queryLog: QueryLog;
  constructor(next: Resolver, queryLog: QueryLog) {
    super(next);
    this.queryLog = queryLog;
  }
  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    return this.next.resolve(query);
  }
}
