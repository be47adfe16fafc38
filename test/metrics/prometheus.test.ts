// The observability surface against a real Prometheus: it scrapes a running banwall every second
// while allowed and blocked queries and proxy requests go through; then, through Prometheus's HTTP
// API: `up` is 1, the blocked counters rose with the right app and category, every alert rule
// evaluates, and EVERY PromQL expression of dashboards/banwall.json returns data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../helpers/banwall.ts';
import { assertRcodes, NO_DIG_KDIG } from '../helpers/dig.ts';
import { startStack, TOKEN } from './e2e-helpers.ts';
import { curlViaProxy } from '../helpers/curl.ts';
import { startPrometheus, type RunningPrometheus } from './prometheus-server.ts';

/** Every `expr` in the dashboard (panels, nested rows, annotations), with Grafana's variables filled. */
export async function dashboardExpressions(): Promise<{ where: string; expr: string }[]> {
  const dash = JSON.parse(await readFile(path.join(ROOT, 'dashboards/banwall.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const out: { where: string; expr: string }[] = [];
  const walk = (node: unknown, where: string) => {
    if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${where}[${i}]`));
    else if (node !== null && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      const title = typeof o.title === 'string' ? ` "${o.title}"` : '';
      for (const [k, v] of Object.entries(o)) {
        if (k === 'expr' && typeof v === 'string') out.push({ where: `${where}${title}`, expr: v });
        else walk(v, `${where}${title}.${k}`);
      }
    }
  };
  walk(dash.panels, 'panels');
  walk(dash.annotations, 'annotations');
  return out.map(({ where, expr }) => ({
    where,
    expr: expr.replaceAll('$__rate_interval', '30s').replaceAll('$job', '.*').replaceAll('$instance', '.*'),
  }));
}

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function value(prom: RunningPrometheus, expr: string): Promise<number> {
  const r = await prom.query(expr);
  assert.equal(r.status, 'success', `${expr}: ${r.error}`);
  return r.result.length === 0 ? 0 : Number(r.result[0].value[1]);
}

void test(
  'a real Prometheus scrapes banwall; blocked counters, alert rules and every dashboard query have data',
  { skip: NO_DIG_KDIG },
  async (t) => {
    const origin = http.createServer((_req, res) => res.end('origin says hello\n'));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
    t.after(() => new Promise<void>((r) => origin.close(() => r())));
    const originPort = (origin.address() as AddressInfo).port;

    const s = await startStack({}, t);
    const prom = await startPrometheus(`127.0.0.1:${s.bw.httpPort}`, [
      path.join(ROOT, 'deploy/prometheus/alerts.yml'),
    ]);
    t.after(() => prom.stop());

    // Prometheus 2.42's scrape manager applies new targets on a 5 s tick: the first scrape takes ~6 s.
    await waitFor('up == 1', async () => (await value(prom, 'up{job="banwall"}')) === 1);
    // One scrape before the traffic, so counters are seen rising (and reload changes() has a before).
    assert.equal(await value(prom, 'sum(banwall_dns_blocked_total{app="wechat"})'), 0);

    await assertRcodes(s.bw.dnsPort, [
      ...Array.from({ length: 3 }, () => ['allowed.test', 'A', 'NOERROR'] as const),
      ['weixin.qq.com', 'A', 'NXDOMAIN'],
      ['long.weixin.qq.com', 'A', 'NXDOMAIN'],
      ['wechat.com', 'A', 'NXDOMAIN'],
      ['dnl-01.upd.kaspersky.com', 'AAAA', 'NXDOMAIN', ['+tcp']],
      ['nx.allowed.test', 'A', 'NXDOMAIN'],
    ]);

    assert.equal(await curlViaProxy(s.bw.proxyPort!, `http://www.allowed.test:${originPort}/`), '200');
    assert.equal(await curlViaProxy(s.bw.proxyPort!, 'http://weixin.qq.com/'), '403');
    assert.equal(await curlViaProxy(s.bw.proxyPort!, 'http://upd.kaspersky.com/x'), '403');

    const reload = await fetch(`${s.base}/api/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(reload.status, 200);

    // The blocked counters of each layer, as Prometheus sees them: WeChat core and Kaspersky update.
    const blocked = (layer: string, app: string, category: string) =>
      value(prom, `sum(banwall_${layer}_blocked_total{app="${app}",category="${category}"})`);
    for (const [layer, wechat, kaspersky] of [
      ['dns', 3, 1],
      ['proxy', 1, 1],
    ] as const) {
      await waitFor(
        `the ${layer} blocked counters`,
        async () =>
          (await blocked(layer, 'wechat', 'core')) === wechat &&
          (await blocked(layer, 'kaspersky', 'update')) === kaspersky,
      );
    }
    assert.equal(await value(prom, 'sum(banwall_dns_blocked_total{app="wechat",category!="core"})'), 0);
    assert.equal(await value(prom, 'sum(banwall_dns_queries_total{result="blocked"})'), 4);

    // Every dashboard expression returns at least one series (values may be 0 or NaN, never absent).
    const exprs = await dashboardExpressions();
    assert.ok(exprs.length >= 30, `the dashboard has ${exprs.length} expressions`);
    const missing = new Map<string, string>();
    await waitFor(
      'data for every dashboard expression',
      async () => {
        missing.clear();
        for (const { where, expr } of exprs) {
          const r = await prom.query(expr);
          if (r.status !== 'success') missing.set(where, `${expr} → ${r.error}`);
          else if (r.result.length === 0) missing.set(where, `${expr} → no data`);
        }
        return missing.size === 0;
      },
      30_000,
    ).catch(() => assert.fail(`dashboard expressions without data:\n${[...missing.values()].join('\n')}`));

    // The alert rules load and evaluate without error against banwall's real series.
    const rules = await prom.rules();
    assert.ok(rules.length >= 7);
    await waitFor('every rule evaluated', async () => (await prom.rules()).every((r) => r.health === 'ok'));
  },
);
