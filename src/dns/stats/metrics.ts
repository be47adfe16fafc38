// Publishes DnsStats as Prometheus series at scrape time: banwall_dns_queries_total{protocol,qtype,
// result}, banwall_dns_blocked_total{app,category,group}, banwall_dns_monitored_total{app,category,
// group}, banwall_dns_request_duration_seconds{result}.
import { RESULTS } from '../resolver.ts';
import { registerPulled, type MetricValue } from '../../metrics/pulled.ts';
import { PROTOCOLS, QTYPES } from './labels.ts';
import type { DnsStats } from './dns-stats.ts';

/** Publishes `stats` (replacing any DnsStats published before in this process). */
export function registerDnsStatsMetrics(stats: DnsStats): void {
  registerPulled({
    name: 'banwall_dns_queries_total',
    help: 'DNS queries answered, by protocol, query type (bounded set) and result.',
    type: 'counter',
    collect: () => {
      const out: MetricValue[] = [];
      let i = 0;
      for (const protocol of PROTOCOLS)
        for (const qtype of QTYPES)
          for (const result of RESULTS) {
            const value = stats.queries[i++];
            // Only series that have counted something: 520 combinations are possible, a few are used.
            if (value > 0) out.push({ labels: { protocol, qtype, result }, value });
          }
      return out;
    },
  });
  registerPulled({
    name: 'banwall_dns_blocked_total',
    help: 'DNS queries blocked by the policy, by app, category and client group.',
    type: 'counter',
    collect: () => byAppCategoryGroup(stats.blocked),
  });
  registerPulled({
    name: 'banwall_dns_monitored_total',
    help: 'DNS queries a list in monitor (dry-run) mode would have blocked, answered as allowed, by app, category and client group.',
    type: 'counter',
    collect: () => byAppCategoryGroup(stats.monitored),
  });
  registerPulled({
    name: 'banwall_dns_request_duration_seconds',
    help: 'Time from receiving a DNS query to its answer leaving the resolver chain, by result.',
    type: 'histogram',
    collect: () => {
      const out: MetricValue[] = [];
      RESULTS.forEach((result, i) => {
        const h = stats.durations[i];
        if (h.count > 0) out.push(...h.values('banwall_dns_request_duration_seconds', { result }));
      });
      return out;
    },
  });
}

/** One series per app, category and group of a DnsStats tally (blocked or monitored). */
function byAppCategoryGroup(tally: DnsStats['blocked']): MetricValue[] {
  const out: MetricValue[] = [];
  for (const [app, byCategory] of tally)
    for (const [category, byGroup] of byCategory)
      for (const [group, cell] of byGroup) out.push({ labels: { app, category, group }, value: cell.n });
  return out;
}
