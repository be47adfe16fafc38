// Publishes the upstreams' counters at scrape time: banwall_dns_upstream_requests_total{upstream,
// rcode}, banwall_dns_upstream_errors_total{upstream,reason}, banwall_dns_upstream_duration_seconds
// {upstream} and banwall_dns_upstream_healthy{upstream}. The `upstream` label is the configured URL
// (a bounded set). The upstreams count in plain numbers and typed arrays; nothing here runs per query.
import { registerPulled, type MetricValue } from '../../metrics/pulled.ts';
import { FAIL_REASONS } from './transport.ts';
import type { UpstreamResolver } from './upstream-resolver.ts';

const RCODE_NAMES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
  'RCODE11',
  'RCODE12',
  'RCODE13',
  'RCODE14',
  'RCODE15',
];

/** Publishes `upstream` (replacing any upstream resolver published before in this process). */
export function registerUpstreamMetrics(upstream: UpstreamResolver): void {
  registerPulled({
    name: 'banwall_dns_upstream_requests_total',
    help: 'Answers received from each upstream, by rcode.',
    type: 'counter',
    collect: () => {
      const out: MetricValue[] = [];
      for (const u of upstream.counters()) {
        u.answers.forEach((value, rcode) => {
          // NOERROR always, so every upstream has a series from the start; other rcodes once seen.
          if (value > 0 || rcode === 0)
            out.push({ labels: { upstream: u.url, rcode: RCODE_NAMES[rcode] }, value });
        });
      }
      return out;
    },
  });
  registerPulled({
    name: 'banwall_dns_upstream_errors_total',
    help: 'Failed upstream attempts (timeout, network, malformed, mismatch, http, overload).',
    type: 'counter',
    collect: () => {
      const out: MetricValue[] = [];
      for (const u of upstream.counters())
        for (const reason of FAIL_REASONS)
          out.push({ labels: { upstream: u.url, reason }, value: u.errors[reason] });
      return out;
    },
  });
  registerPulled({
    name: 'banwall_dns_upstream_duration_seconds',
    help: 'Round trip of answered upstream queries.',
    type: 'histogram',
    collect: () =>
      upstream
        .counters()
        .flatMap((u) => u.durations.values('banwall_dns_upstream_duration_seconds', { upstream: u.url })),
  });
  registerPulled({
    name: 'banwall_dns_upstream_healthy',
    help: '1 while the upstream answers, 0 while it is set aside after failures.',
    type: 'gauge',
    // Across workers: 1 while any worker reaches the upstream (0 = down for all).
    aggregator: 'max',
    collect: () =>
      upstream.counters().map((u) => ({ labels: { upstream: u.url }, value: u.healthy ? 1 : 0 })),
  });
}
