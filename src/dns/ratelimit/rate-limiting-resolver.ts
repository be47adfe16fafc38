// STUB (owned by the hardening helper): token bucket per client.
import {
  ChainedResolver,
  type DnsQuery,
  type DnsAnswer,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';
import type { z } from 'zod';
import type { rateLimitSchema } from './config.ts';
import type { DnsStats } from '../stats/dns-stats.ts';

export class RateLimitingResolver extends ChainedResolver {
  constructor(next: Resolver, _cfg: z.output<typeof rateLimitSchema>, _stats: DnsStats) {
    super(next);
  }
  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    return this.next.resolve(query);
  }
}
