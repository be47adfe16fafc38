// Publishes the canaries at scrape time: banwall_canary_ok{app,category,layer} (1 while every probe
// of the series is refused the right way, 0 otherwise) and
// banwall_canary_last_success_timestamp_seconds{app,category,layer} (0 if it never held).
import { registerPulled } from '../metrics/pulled.ts';
import type { Canaries } from './canaries.ts';

/** Publishes `canaries` (replacing any published before in this process). Call once per app. */
export function registerCanaryMetrics(canaries: Canaries): void {
  const labelsOf = (s: { app: string; category: string; layer: string }) => ({
    app: s.app,
    category: s.category,
    layer: s.layer,
  });
  registerPulled({
    name: 'banwall_canary_ok',
    help: 'Whether the canary probes of an app and category are refused as the policy says over one layer (1) or not (0).',
    type: 'gauge',
    // dns.workers: every worker probes; one failing worker is a failing ban.
    aggregator: 'min',
    collect: () => [...canaries.series.values()].map((s) => ({ labels: labelsOf(s), value: s.ok ? 1 : 0 })),
  });
  registerPulled({
    name: 'banwall_canary_last_success_timestamp_seconds',
    help: 'When every canary probe of an app, category and layer was last refused as expected (Unix time; 0 if never).',
    type: 'gauge',
    aggregator: 'min',
    collect: () =>
      [...canaries.series.values()].map((s) => ({ labels: labelsOf(s), value: s.lastSuccess / 1000 })),
  });
}
