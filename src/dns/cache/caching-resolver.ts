// STUB (owned by the DNS core helper).
import {
  ChainedResolver,
  type DnsQuery,
  type DnsAnswer,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';
import type { Config } from '../../config/schema.ts';
import type { DnsStats } from '../stats/dns-stats.ts';

export class CachingResolver extends ChainedResolver {
  constructor(next: Resolver, _cfg: Config['dns']['cache'], _stats: DnsStats) {
    super(next);
  }
  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    return this.next.resolve(query);
  }
  flush(): void {}
  get size(): { entries: number; bytes: number } {
    return { entries: 0, bytes: 0 };
  }
}
