// What the admin API, the metrics and the PAC file may see of the running application.
import type { Config } from './config/schema.ts';
import type { PolicyStore } from './policy/store.ts';
import type { Chain } from './dns/chain.ts';
import type { DnsStats } from './dns/stats/dns-stats.ts';
import type { ProxyStats } from './proxy/proxy-stats.ts';
import type { ReloadStats } from './metrics/reload-stats.ts';
import type { CanaryStatus } from './canary/canaries.ts';

export interface ReloadResult {
  readonly ok: boolean;
  readonly generation: number;
  readonly errors: readonly string[];
}

export interface AppHandle {
  readonly version: string;
  readonly startedAt: number;
  /** The config in force (the last one that loaded). */
  config(): Config;
  readonly policy: PolicyStore;
  readonly chain: Chain;
  readonly dnsStats: DnsStats;
  readonly proxyStats: ProxyStats;
  /** Reload outcomes, for banwall_config_reloads_total{result}. */
  readonly reloadStats?: ReloadStats;
  reload(reason: string): Promise<ReloadResult>;
  /** The canaries' state and failing probes (src/canary); null when they are off. */
  canaryStatus?(): CanaryStatus | null;
  /** Listen addresses actually bound, for the PAC file and logs. */
  proxyAddresses(): { host: string; port: number }[];
}
