// STUB (owned by the observability helper).
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
    return this.next.resolve(query);
  }
}
