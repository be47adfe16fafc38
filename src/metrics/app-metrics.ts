// Process-wide series that belong to no single part: build info, config reloads, and the refresh
// interval of remote lists (which the ListNotRefreshed alert compares with the lists' last success).
import type { AppHandle } from '../app-handle.ts';
import { registerPulled } from './pulled.ts';

export function registerAppMetrics(app: AppHandle): void {
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
      { labels: { result: 'success' }, value: app.reloadStats?.success ?? 0 },
      { labels: { result: 'failure' }, value: app.reloadStats?.failure ?? 0 },
    ],
  });
  registerPulled({
    name: 'banwall_list_refresh_interval_seconds',
    help: 'Configured refresh interval of each remote list (local files have none).',
    type: 'gauge',
    aggregator: 'first',
    collect: () =>
      (app.policy.current?.lists() ?? [])
        .filter((l) => l.refreshInterval > 0)
        .map((l) => ({ labels: { list: l.name }, value: l.refreshInterval / 1000 })),
  });
}
