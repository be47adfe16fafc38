// Metrics whose values are read at scrape time from plain numbers kept by the hot path.
//
// prom-client's labelled `inc` costs ~200 ns and a histogram `observe` ~380 ns (measured here); a
// Float64Array increment costs a few ns. Hot-path parts therefore count in typed arrays and register a
// pulled metric here, whose `collect` builds the exposition values only when Prometheus scrapes.
// Registering the same name again replaces the earlier collector, so a test (or a restart of a part in
// the same process) never trips prom-client's "already registered" error.
import { registry } from './registry.ts';

export type Labels = Record<string, string>;

export interface MetricValue {
  readonly labels: Labels;
  readonly value: number;
  /** For histograms: `name_bucket`, `name_sum`, `name_count`. */
  readonly metricName?: string;
}

export interface PulledMetricSpec {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  /**
   * How prom-client's AggregatorRegistry combines the workers of `dns.workers: auto`: `sum` (the
   * default: counters, histograms, per-worker sizes), or for a gauge every worker reports alike
   * (build info, list sizes, timestamps) `first`, `max` or `min`.
   */
  readonly aggregator?: 'sum' | 'first' | 'max' | 'min' | 'average' | 'omit';
  /** Called on every scrape; must be cheap enough for a scrape, never called on the hot path. */
  readonly collect: () => readonly MetricValue[];
}

/** Registers (or replaces) a metric in the shared registry whose values come from `collect()`. */
export function registerPulled(spec: PulledMetricSpec): void {
  const aggregator = spec.aggregator ?? 'sum';
  const metric = {
    name: spec.name,
    help: spec.help,
    type: spec.type,
    aggregator,
    get: () => ({
      name: spec.name,
      help: spec.help,
      type: spec.type,
      aggregator,
      values: spec.collect().slice(),
    }),
    reset: () => {},
  };
  registry.removeSingleMetric(spec.name);
  // prom-client's registry accepts any object shaped like its metrics (name, help, type, get()).
  registry.registerMetric(metric as unknown as Parameters<typeof registry.registerMetric>[0]);
}
