// Every metric banwall publishes is registered here, in one place, by the composition root: each
// part keeps its own `metrics.ts` (what its series are, CoreDNS-style), and this says which parts
// this process runs. The HTTP listener only serves the registry.
import { registerDefaultMetrics } from './metrics/registry.ts';
import { registerAppMetrics, type AppMetricsSource } from './metrics/app-metrics.ts';
import { registerDnsStatsMetrics } from './dns/stats/metrics.ts';
import { registerCacheMetrics } from './dns/cache/metrics.ts';
import { registerUpstreamMetrics } from './dns/upstream/metrics.ts';
import { registerEchMetrics } from './dns/ech/metrics.ts';
import { registerLocalZonesMetrics } from './dns/localzones/metrics.ts';
import { registerQueryLogMetrics } from './dns/querylog/metrics.ts';
import { registerPolicyMetrics } from './policy/metrics.ts';
import { registerCanaryMetrics } from './canary/metrics.ts';
import type { DnsStats } from './dns/stats/dns-stats.ts';
import type { Chain } from './dns/chain.ts';
import type { AppEvents } from './app-events.ts';
import { registerEventMetrics } from './events/metrics.ts';
import type { PolicyStore } from './policy/store.ts';
import type { ProxyStats } from './proxy/proxy-stats.ts';
import type { Canaries } from './canary/canaries.ts';

export interface MetricSources {
  readonly app: AppMetricsSource;
  readonly policy: PolicyStore;
  readonly chain: Chain;
  readonly dnsStats: DnsStats;
  /** null when the proxy is off (its module is then not even loaded). */
  readonly proxyStats: ProxyStats | null;
  readonly events: AppEvents;
  /** null when `canaries.enabled` is false. */
  readonly canaries: Canaries | null;
}

export async function registerMetrics(s: MetricSources): Promise<void> {
  registerDefaultMetrics();
  registerAppMetrics(s.app);
  registerPolicyMetrics(s.policy);
  registerDnsStatsMetrics(s.dnsStats);
  registerCacheMetrics(s.chain.cache);
  registerUpstreamMetrics(s.chain.upstream);
  registerQueryLogMetrics(s.events.ring, s.events.file ?? undefined);
  registerEventMetrics(s.events.pipeline);
  registerEchMetrics(s.chain.ech);
  registerLocalZonesMetrics(s.chain.localZones);
  if (s.canaries) registerCanaryMetrics(s.canaries);
  if (s.proxyStats) {
    const { registerProxyMetrics } = await import('./proxy/metrics.ts');
    registerProxyMetrics(s.proxyStats);
  }
}
