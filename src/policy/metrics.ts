// Publishes the lists' health at scrape time: banwall_list_entries{list,app,category},
// banwall_list_last_success_timestamp_seconds{list}, banwall_list_refresh_failures_total{list}.
import { registerPulled } from '../metrics/pulled.ts';
import type { PolicyStore } from './store.ts';

/** Publishes `store` (replacing any store published before in this process). Call once per app. */
export function registerPolicyMetrics(store: PolicyStore): void {
  registerPulled({
    name: 'banwall_list_entries',
    help: 'Rules loaded from each list (names, URL, IP and regex rules).',
    type: 'gauge',
    // Every worker of dns.workers: auto loads the same lists: one worker's count, not the sum.
    aggregator: 'first',
    collect: () =>
      store.listStatus().map((l) => ({
        labels: { list: l.name, app: l.app, category: l.category },
        value: l.entries,
      })),
  });
  registerPulled({
    name: 'banwall_list_last_success_timestamp_seconds',
    help: 'When each list was last loaded or fetched successfully (Unix time; 0 if never).',
    type: 'gauge',
    // Workers fetch on their own: the oldest success, so a stale worker shows.
    aggregator: 'min',
    collect: () => store.listStatus().map((l) => ({ labels: { list: l.name }, value: l.lastSuccess / 1000 })),
  });
  registerPulled({
    name: 'banwall_list_refresh_failures_total',
    help: 'Failed fetches of each remote list (the previous contents stay in force).',
    type: 'counter',
    collect: () => store.listStatus().map((l) => ({ labels: { list: l.name }, value: l.refreshFailures })),
  });
}
