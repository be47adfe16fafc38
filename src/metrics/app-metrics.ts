// Process-wide series that belong to no single part: build info and config reloads.
import { registerPulled } from './pulled.ts';
import type { ReloadStats } from './reload-stats.ts';

export function registerAppMetrics(version: string, reloads: ReloadStats | undefined): void {
  registerPulled({
    name: 'banwall_build_info',
    help: 'Always 1; the version label says which banwall is running.',
    type: 'gauge',
    collect: () => [{ labels: { version }, value: 1 }],
  });
  registerPulled({
    name: 'banwall_config_reloads_total',
    help: 'Config and policy reloads, by result (success, failure); a failure keeps the old policy.',
    type: 'counter',
    collect: () => [
      { labels: { result: 'success' }, value: reloads?.success ?? 0 },
      { labels: { result: 'failure' }, value: reloads?.failure ?? 0 },
    ],
  });
}
