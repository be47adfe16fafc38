// A histogram kept in typed arrays for hot paths: `observe` is a short compare loop and one
// increment (a few ns), against ~380 ns for prom-client's `Histogram.observe` (measured here).
// Several histograms may share one bucket layout; `values()` renders the Prometheus series.
import type { Labels, MetricValue } from './pulled.ts';

/** Bucket bounds in seconds for DNS latencies: a cache hit takes tens of µs, an upstream ms. */
export const DNS_LATENCY_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

export class FastHistogram {
  readonly bounds: Float64Array;
  /** counts[i] = observations in (bounds[i-1], bounds[i]]; the last slot is +Inf. Not cumulative. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[] = DNS_LATENCY_BUCKETS) {
    this.bounds = Float64Array.from(bounds);
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }

  /** The `_bucket` (cumulative, with `le`), `_sum` and `_count` series of `name` with `labels`. */
  values(name: string, labels: Labels): MetricValue[] {
    const out: MetricValue[] = [];
    let cumulative = 0;
    for (let i = 0; i < this.counts.length; i++) {
      cumulative += this.counts[i];
      const le = i < this.bounds.length ? String(this.bounds[i]) : '+Inf';
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
    }
    out.push({ metricName: `${name}_sum`, labels, value: this.sum });
    out.push({ metricName: `${name}_count`, labels, value: this.count });
    return out;
  }
}
