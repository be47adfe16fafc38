// Publishes the lists' health at scrape time: banwall_list_entries{list,app,category},
// banwall_list_bad_lines{list}, banwall_list_last_success_timestamp_seconds{list},
// banwall_list_refresh_failures_total{list}. Counts come from the snapshot in force, refresh state
// from the refresher (it moves without a recompile).
import { registerPulled } from '../metrics/pulled.ts';
import type { PolicyStore } from './store.ts';
import type { ListSummary } from './snapshot.ts';

/** Publishes `store` (replacing any store published before in this process). Call once per app. */
export function registerPolicyMetrics(store: PolicyStore): void {
  const lists = () => store.current?.lists() ?? [];
  /** One sample per list in force, labelled by its name. */
  const perList = (value: (l: ListSummary) => number) => () =>
    lists().map((l) => ({ labels: { list: l.name }, value: value(l) }));
  registerPulled({
    name: 'banwall_list_entries',
    help: 'Rules loaded from each list (names, URL, IP and regex rules).',
    type: 'gauge',
    // Every worker of dns.workers: auto loads the same lists: one worker's count, not the sum.
    aggregator: 'first',
    collect: () =>
      lists().map((l) => ({ labels: { list: l.name, app: l.app, category: l.category }, value: l.entries })),
  });
  registerPulled({
    name: 'banwall_list_bad_lines',
    help: 'Lines of each list in force that are not rules and were skipped (see `banwall check`).',
    type: 'gauge',
    aggregator: 'first',
    collect: perList((l) => l.badLines),
  });
  registerPulled({
    name: 'banwall_list_last_success_timestamp_seconds',
    help: 'When each list was last loaded or fetched successfully (Unix time; 0 if never).',
    type: 'gauge',
    // Workers fetch on their own: the oldest success, so a stale worker shows.
    aggregator: 'min',
    collect: perList((l) => store.refresher.health(l.name).lastSuccess / 1000),
  });
  registerPulled({
    name: 'banwall_list_refresh_failures_total',
    help: 'Failed fetches of each remote list (the previous contents stay in force).',
    type: 'counter',
    collect: perList((l) => store.refresher.health(l.name).refreshFailures),
  });
}
