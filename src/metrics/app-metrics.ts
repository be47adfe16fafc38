// Process-wide series that belong to no single part: build info, config reloads, and the refresh
// interval of remote lists (which the ListNotRefreshed alert compares with the lists' last success).
// Reads only what it is handed (AppMetricsSource), so this base layer imports nothing above it.
import { registerPulled } from './pulled.ts';
import type { ReloadStats } from './reload-stats.ts';

export interface AppMetricsSource {
  readonly version: string;
  readonly reloadStats: ReloadStats;
  /** The lists of the policy serving now: name and refresh interval in ms (0 for local files). */
  lists(): readonly { readonly name: string; readonly refreshInterval: number }[];
}

export function registerAppMetrics(app: AppMetricsSource): void {
  registerPulled({
    name: 'banwall_build_info',
    help: 'Always 1; the version label says which banwall is running.',
    type: 'gauge',
    aggregator: 'first',
    collect: () => [{ labels: { version: app.version }, value: 1 }],
  });
  registerPulled({
    name: 'banwall_config_reloads_total',
    help: 'Config and policy reloads, by result (success, failure); a failure keeps the old policy.',
    type: 'counter',
    collect: () => [
      { labels: { result: 'success' }, value: app.reloadStats.success },
      { labels: { result: 'failure' }, value: app.reloadStats.failure },
    ],
  });
  registerPulled({
    name: 'banwall_list_refresh_interval_seconds',
    help: 'Configured refresh interval of each remote list (local files have none).',
    type: 'gauge',
    aggregator: 'first',
    collect: () =>
      app
        .lists()
        .filter((l) => l.refreshInterval > 0)
        .map((l) => ({ labels: { list: l.name }, value: l.refreshInterval / 1000 })),
  });
}
