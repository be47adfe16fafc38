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

export function registerProxyMetrics(stats: ProxyStats): void {
  registerPulled({
    name: 'banwall_proxy_requests_total',
    help: 'Proxy requests by kind (http, connect, https inside an intercepted tunnel) and result (allowed, blocked, denied, limited, badrequest, error).',
    type: 'counter',
    collect: () => {
      const out: MetricValue[] = [];
      for (const kind of PROXY_KINDS) {
        for (const result of PROXY_RESULTS) {
          out.push({ labels: { kind, result }, value: stats.request(kind, result) });
        }
      }
      return out;
    },
  });
  registerPulled({
    name: 'banwall_proxy_blocked_total',
    help: 'Proxy requests refused by the policy, by app, category and client group.',
    type: 'counter',
    collect: () => {
      const out: MetricValue[] = [];
      for (const [key, value] of stats.blocked) {
        const [app, category, group] = key.split('|');
        out.push({ labels: { app, category, group }, value });
      }
      return out;
    },
  });
  registerPulled({
    name: 'banwall_proxy_monitored_total',
    help: 'Proxy requests a list in monitor (dry-run) mode would have refused, forwarded, by app, category and client group.',
    type: 'counter',
    collect: () => {
      const out: MetricValue[] = [];
      for (const [key, value] of stats.monitored) {
        const [app, category, group] = key.split('|');
        out.push({ labels: { app, category, group }, value });
      }
      return out;
    },
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
    collect: () => {
      const out: MetricValue[] = [];
      for (const cls of INTERCEPT_CLASSES) {
        for (const result of INTERCEPT_RESULTS) {
          out.push({ labels: { class: cls, result }, value: stats.intercept(cls, result) });
        }
      }
      return out;
    },
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
