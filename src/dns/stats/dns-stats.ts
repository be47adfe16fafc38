// STUB (owned by the observability helper): hot-path counters of the resolver, published by prom-client in collect().
import type { DnsQuery, DnsAnswer } from '../resolver.ts';

export class DnsStats {
  /** Called once per answered query by StatsResolver. Must not allocate. */
  record(_query: DnsQuery, _answer: DnsAnswer): void {}
}
