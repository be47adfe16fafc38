// The proxy's Prometheus series, read from ProxyStats at scrape time (the request path only bumps
// plain numbers; see src/metrics/pulled.ts for why).
import { registerPulled, type MetricValue } from '../metrics/pulled.ts';
import {
  INTERCEPT_CLASSES,
  INTERCEPT_RESULTS,
  PROXY_KINDS,
  PROXY_RESULTS,
  type ProxyStats,
} from './proxy-stats.ts';

/** Every (first, result) pair, zeros included, so that a dashboard sees each series. */
function grid<A extends string, R extends string>(
  label: string,
  firsts: readonly A[],
  results: readonly R[],
  value: (a: A, r: R) => number,
): MetricValue[] {
  const out: MetricValue[] = [];
  for (const a of firsts)
    for (const result of results) out.push({ labels: { [label]: a, result }, value: value(a, result) });
  return out;
}

/** `app|category|group` → count (ProxyStats' folded keys) as labelled values. */
function byAppCategoryGroup(counts: Map<string, number>): MetricValue[] {
  const out: MetricValue[] = [];
  for (const [key, value] of counts) {
    const [app, category, group] = key.split('|');
    out.push({ labels: { app, category, group }, value });
  }
  return out;
}

export function registerProxyMetrics(stats: ProxyStats): void {
  registerPulled({
    name: 'banwall_proxy_requests_total',
    help: 'Proxy requests by kind (http, connect, https inside an intercepted tunnel) and result (allowed, blocked, denied, limited, badrequest, error).',
    type: 'counter',
    collect: () => grid('kind', PROXY_KINDS, PROXY_RESULTS, (kind, result) => stats.request(kind, result)),
  });
  registerPulled({
    name: 'banwall_proxy_blocked_total',
    help: 'Proxy requests refused by the policy, by app, category and client group.',
    type: 'counter',
    collect: () => byAppCategoryGroup(stats.blocked),
  });
  registerPulled({
    name: 'banwall_proxy_monitored_total',
    help: 'Proxy requests a list in monitor (dry-run) mode would have refused, forwarded, by app, category and client group.',
    type: 'counter',
    collect: () => byAppCategoryGroup(stats.monitored),
  });
  registerPulled({
    name: 'banwall_proxy_open_connections',
    help: 'Client connections open on the proxy now (tunnels included).',
    type: 'gauge',
    collect: () => [{ labels: {}, value: stats.openConnections }],
  });
  registerPulled({
    name: 'banwall_proxy_open_tunnels',
    help: 'CONNECT tunnels open now.',
    type: 'gauge',
    collect: () => [{ labels: {}, value: stats.openTunnels }],
  });
  registerPulled({
    name: 'banwall_proxy_intercept_total',
    help: 'CONNECTs to intercepted hosts by class (url-rules, configured) and result (intercepted, untrusted, client-refused, mismatch, error).',
    type: 'counter',
    collect: () =>
      grid('class', INTERCEPT_CLASSES, INTERCEPT_RESULTS, (cls, result) => stats.intercept(cls, result)),
  });
  registerPulled({
    name: 'banwall_proxy_intercept_leaves_minted_total',
    help: 'Leaf certificates signed by the interception CA since start.',
    type: 'counter',
    collect: () => [{ labels: {}, value: stats.leavesMinted }],
  });
  registerPulled({
    name: 'banwall_proxy_intercept_leaves',
    help: 'Leaf certificates held in memory now (one per intercepted name, 24 h each).',
    type: 'gauge',
    collect: () => [{ labels: {}, value: stats.leavesCached }],
  });
}
