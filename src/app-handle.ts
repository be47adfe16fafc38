// What the admin API, the metrics and the PAC file may see of the running application.
import type { Config } from './config/schema.ts';
import type { PolicyStore } from './policy/store.ts';
import type { Chain } from './dns/chain.ts';
import type { DnsStats } from './dns/stats/dns-stats.ts';
import type { ProxyStats } from './proxy/proxy-stats.ts';
import type { ReloadStats } from './metrics/reload-stats.ts';

export interface ReloadResult {
  readonly ok: boolean;
  readonly generation: number;
  readonly errors: readonly string[];
  /** Per list of the config that was compiled: rules loaded and lines skipped as not rules. */
  readonly lists?: readonly { readonly name: string; readonly entries: number; readonly badLines: number }[];
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
  /** Listen addresses actually bound, for the PAC file and logs. */
  proxyAddresses(): { host: string; port: number }[];
}
