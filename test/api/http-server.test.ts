import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { pino } from 'pino';
import { HttpServer } from '../../src/api/http-server.ts';
import { registerDefaultMetrics } from '../../src/metrics/registry.ts';
import { registerAppMetrics } from '../../src/metrics/app-metrics.ts';
import { registerDnsStatsMetrics } from '../../src/dns/stats/metrics.ts';
import type { DnsQuery } from '../../src/dns/resolver.ts';
import { fakeApp, RULE, type FakeApp } from './fake-app.ts';
import { dnsQuery } from '../helpers/dns-query.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('promtool');

const log = pino({ level: 'silent' });
const TOKEN = 'test-token-0123456789abcdef';

async function serve(app: FakeApp): Promise<{ base: string; server: HttpServer }> {
  // The app registers metrics (src/app-metrics.ts); the listener only serves them.
  registerDefaultMetrics();
  registerAppMetrics(app);
  registerDnsStatsMetrics(app.dnsStats);
  const server = new HttpServer(app, log);
  await server.start();
  const { port } = server.addresses()[0];
  return { base: `http://127.0.0.1:${port}`, server };
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

function query(name: string, client: string): DnsQuery {
  return dnsQuery(name, 1, { client, id: 1 });
}

void test('health, readiness, metrics and the read-only admin API', { skip: TOOLS_SKIP }, async (t) => {
  const app = fakeApp();
  const { base, server } = await serve(app);
  t.after(() => server.stop());

  assert.equal((await fetch(`${base}/healthz`)).status, 200);

  let res = await fetch(`${base}/readyz`);
  assert.equal(res.status, 200);
  assert.equal((await json(res)).ready, true);
  for (const u of app.upstreamHealth) Object.assign(u, { healthy: false, answering: false });
  res = await fetch(`${base}/readyz`);
  assert.equal(res.status, 503, 'every upstream down → unready');
  assert.match(String((await json(res)).reason), /every upstream is down/);

  app.dnsStats.record(query('weixin.qq.com', '10.1.2.3'), {
    wire: Buffer.alloc(0),
    result: 'blocked',
    block: { rule: RULE, group: 'default' },
  });
  app.dnsStats.record(query('weixin.qq.com', '10.1.2.4'), {
    wire: Buffer.alloc(0),
    result: 'blocked',
    block: { rule: RULE, group: 'default' },
  });
  app.dnsStats.record(query('example.test', '10.1.2.3'), { wire: Buffer.alloc(0), result: 'cached' });

  res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.match(text, /banwall_build_info\{version="9\.9\.9-test"\} 1/);
  assert.match(text, /banwall_config_reloads_total\{result="success"\} 0/);
  assert.match(text, /banwall_dns_blocked_total\{app="wechat",category="core",group="default"\} 2/);
  assert.match(text, /banwall_list_refresh_interval_seconds\{list="remote"\} 3600/);
  assert.match(text, /process_cpu_user_seconds_total/);
  assert.match(text, /nodejs_eventloop_lag_seconds/);
  // The exposition passes Prometheus's own linter.
  const child = execFile('promtool', ['check', 'metrics']);
  child.stdin!.end(text);
  const [code, out] = await new Promise<[number | null, string]>((resolve) => {
    let o = '';
    child.stdout!.on('data', (c: Buffer) => (o += String(c)));
    child.stderr!.on('data', (c: Buffer) => (o += String(c)));
    child.on('close', (c) => resolve([c, o]));
  });
  assert.equal(code, 0, `promtool check metrics: ${out}`);

  const status = await json(await fetch(`${base}/api/status`));
  assert.equal(status.version, '9.9.9-test');
  assert.ok((status.uptimeSeconds as number) >= 60);
  const lists = status.lists as { name: string; entries: number; stale: boolean; ageSeconds: number }[];
  assert.deepEqual(
    lists.map((l) => [l.name, l.entries, l.stale]),
    [
      ['wechat-core', 42, false],
      ['remote', 7, true],
    ],
  );
  assert.equal((status.upstreams as unknown[]).length, 2);
  assert.deepEqual(status.cache, { entries: 12, bytes: 3400 });
  assert.equal((status.queries as Record<string, number>).blocked, 2);

  res = await fetch(`${base}/api/explain?name=Long.Weixin.QQ.com.&client=10.0.0.1&type=https`);
  assert.equal(res.status, 200);
  const e = await json(res);
  assert.equal(e.name, 'long.weixin.qq.com');
  assert.equal(e.decision, 'blocked');
  assert.equal(e.type, 'HTTPS');
  assert.equal(e.client, '10.0.0.1');
  assert.deepEqual(e.decidingRule, {
    list: RULE.list,
    app: RULE.app,
    category: RULE.category,
    file: RULE.source,
    line: RULE.line,
    rule: RULE.rule,
    action: 'nxdomain',
  });
  assert.equal((await fetch(`${base}/api/explain`)).status, 400);
  assert.equal((await fetch(`${base}/api/explain?name=a.test&client=nope`)).status, 400);
  assert.equal((await fetch(`${base}/api/explain?name=a.test&type=BOGUS`)).status, 400);

  const topRes = await json(await fetch(`${base}/api/top?n=5`));
  assert.equal(topRes.windowMinutes, 15);
  assert.deepEqual(topRes.names, [{ name: 'weixin.qq.com', count: 2, error: 0 }]);
  assert.deepEqual(
    (topRes.clients as { client: string }[]).map((c) => c.client),
    ['10.1.2.3', '10.1.2.4'],
  );

  res = await fetch(`${base}/nope`);
  assert.equal(res.status, 404);
  res = await fetch(`${base}/metrics`, { method: 'POST' });
  assert.equal(res.status, 405);
  res = await fetch(`${base}/api/reload`);
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'POST');
  res = await fetch(`${base}/healthz`, { method: 'HEAD' });
  assert.equal(res.status, 200);
  res = await fetch(`${base}/proxy.pac`);
  assert.equal(res.status, 404, 'no proxy configured → no PAC file');
});

void test(
  'write endpoints are refused without a configured token, with a message saying how to set one',
  { skip: TOOLS_SKIP },
  async (t) => {
    delete process.env.BANWALL_API_TOKEN;
    const app = fakeApp();
    const { base, server } = await serve(app);
    t.after(() => server.stop());
    for (const path of ['/api/reload', '/api/cache/flush']) {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { authorization: 'Bearer anything-at-all-here' },
      });
      assert.equal(res.status, 403);
      assert.match(String((await json(res)).error), /http\.token.*BANWALL_API_TOKEN/);
    }
    assert.deepEqual(app.reloads, []);
    assert.equal(app.flushes, 0);
  },
);

void test('write endpoints need the right bearer token', { skip: TOOLS_SKIP }, async (t) => {
  const app = fakeApp({ http: { listen: ['127.0.0.1:0'], token: TOKEN } });
  const { base, server } = await serve(app);
  t.after(() => server.stop());

  let res = await fetch(`${base}/api/reload`, { method: 'POST' });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
  res = await fetch(`${base}/api/reload`, {
    method: 'POST',
    headers: { authorization: 'Bearer wrong-token-000000000000' },
  });
  assert.equal(res.status, 403);
  assert.deepEqual(app.reloads, []);

  const auth = { authorization: `Bearer ${TOKEN}` };
  res = await fetch(`${base}/api/reload`, { method: 'POST', headers: auth });
  assert.equal(res.status, 200);
  assert.deepEqual(await json(res), { ok: true, generation: 4, errors: [] });
  assert.deepEqual(app.reloads, ['api']);

  app.reloadResult = { ok: false, generation: 4, errors: ['lists[0].source: cannot read'] };
  res = await fetch(`${base}/api/reload`, { method: 'POST', headers: auth, body: 'ignored' });
  assert.equal(res.status, 422);
  assert.deepEqual((await json(res)).errors, ['lists[0].source: cannot read']);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /banwall_config_reloads_total\{result="failure"\} 1/);

  res = await fetch(`${base}/api/cache/flush`, { method: 'POST', headers: auth });
  assert.equal(res.status, 200);
  assert.deepEqual(await json(res), { flushed: 12, bytes: 3400 });
  assert.equal(app.flushes, 1);

  // BANWALL_API_TOKEN overrides http.token.
  process.env.BANWALL_API_TOKEN = 'env-token-0123456789abcdef';
  try {
    res = await fetch(`${base}/api/cache/flush`, { method: 'POST', headers: auth });
    assert.equal(res.status, 403);
    res = await fetch(`${base}/api/cache/flush`, {
      method: 'POST',
      headers: { authorization: 'Bearer env-token-0123456789abcdef' },
    });
    assert.equal(res.status, 200);
  } finally {
    delete process.env.BANWALL_API_TOKEN;
  }
});

void test(
  'garbage on the socket gets 400 and the listener keeps serving',
  { skip: TOOLS_SKIP },
  async (t) => {
    const app = fakeApp({ proxy: { listen: ['127.0.0.1:3128'] } });
    const { base, server } = await serve(app);
    t.after(() => server.stop());
    const port = Number(new URL(base).port);
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.end('\x00\x01 GARBAGE\r\n\r\n'));
      let got = '';
      s.on('data', (c) => (got += String(c)));
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
    });
    assert.match(reply, /^HTTP\/1\.1 400/);
    const pac = await fetch(`${base}/proxy.pac`);
    assert.equal(pac.status, 200);
    assert.equal(pac.headers.get('content-type'), 'application/x-ns-proxy-autoconfig');
    assert.match(await pac.text(), /FindProxyForURL[\s\S]*PROXY 127\.0\.0\.1:3128/);
  },
);
