// Canaries against a real banwall process: probes go through every listener (UDP, TCP, DoT, DoH, the
// proxy for HTTP and CONNECT) and hold, without counting as client blocks and without reaching the
// upstream; a reload that allows a canary name drops banwall_canary_ok to 0 within one interval, with
// the reason in /api/status, and a real Prometheus loaded with the shipped rules fires
// BanwallBanNotEnforced.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import { ROOT } from '../helpers/banwall.ts';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';
import { issueLeaf, makeCa, type TestCa } from '../helpers/certs.ts';
import { run, startStack, TOKEN, type Stack } from '../metrics/e2e-helpers.ts';
import { curlViaProxy } from '../helpers/curl.ts';
import { startPrometheus } from '../metrics/prometheus-server.ts';
import { clientQueryNames } from '../helpers/fake-upstream/dns.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('openssl', 'promtool', 'dig', 'kdig');

const INTERVAL_MS = 1000;
const LAYERS = ['udp', 'tcp', 'dot', 'doh', 'http', 'connect'];

interface Status {
  canaries: {
    series: number;
    lastRound: string | null;
    failing: { app: string; category: string; layer: string; target: string; reason: string }[];
    skipped: { list?: string; layer?: string; reason: string }[];
  } | null;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `name{labels} value` lines of /metrics whose name is `metric`. */
async function series(base: string, metric: string): Promise<{ labels: string; value: number }[]> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${metric}{`) || l.startsWith(`${metric} `))
    .map((l) => {
      const i = l.lastIndexOf(' ');
      return { labels: l.slice(metric.length, i), value: Number(l.slice(i + 1)) };
    });
}

/** What the upstream was asked, less the health probes (`. NS`, src/dns/upstream/health-probe.ts). */
function asked(s: Stack): string[] {
  return clientQueryNames(s.up);
}

async function status(base: string): Promise<Status> {
  return (await (await fetch(`${base}/api/status`)).json()) as Status;
}

void describe('canaries', { skip: TOOLS_SKIP || NO_DIG_KDIG }, () => {
  let ca: TestCa;
  let s: Stack;
  /** A round that began before the reload judged the lists without the URL rule: only later ones count. */
  let reloadedAt = 0;

  before(async () => {
    ca = await makeCa();
    await issueLeaf(ca.dir, 'srv', ca);
    s = await startStack({
      dns: {
        listen: ['127.0.0.1:0'],
        // Far below the probes' rate (8 DNS probes a second): probes are banwall's own, not limited.
        rateLimit: { qps: 2, burst: 5 },
        dot: {
          listen: ['127.0.0.1:0'],
          cert: path.join(ca.dir, 'srv.pem'),
          key: path.join(ca.dir, 'srv.key'),
        },
        doh: {
          listen: ['127.0.0.1:0'],
          cert: path.join(ca.dir, 'srv.pem'),
          key: path.join(ca.dir, 'srv.key'),
        },
      },
      canaries: { interval: `${INTERVAL_MS}ms`, timeout: '1s' },
      // Two block actions, so each layer's check follows the deciding rule's action.
      lists: [
        { name: 'wechat-core', app: 'wechat', category: 'core', source: 'wechat-core.txt' },
        {
          name: 'kaspersky-update',
          app: 'kaspersky',
          category: 'update',
          source: 'kaspersky-update.txt',
          action: 'null',
        },
      ],
    });
    // The wechat list also gets a URL rule, so the HTTP layer is probed with a URL too.
    await writeFile(
      path.join(s.dir, 'wechat-core.txt'),
      'weixin.qq.com\nwechat.com\nurl dldir1.qq.com /weixin/**/WeChatSetup.exe|\n',
    );
    await fetch(`${s.base}/api/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    reloadedAt = Date.now();
  });

  after(async () => {
    await s?.close();
    if (ca) await rm(ca.dir, { recursive: true, force: true });
  });

  void it('probes every listener and every list; every ban holds', { skip: TOOLS_SKIP }, async () => {
    const ok = await waitFor('a canary series per app, category and layer, after the reload', async () => {
      const last = (await status(s.base)).canaries?.lastRound;
      if (!last || Date.parse(last) <= reloadedAt) return undefined;
      const v = await series(s.base, 'banwall_canary_ok');
      return v.length === 2 * LAYERS.length ? v : undefined;
    });
    for (const app of ['wechat', 'kaspersky']) {
      for (const layer of LAYERS) {
        const one = ok.find(
          (x) => x.labels.includes(`app="${app}"`) && x.labels.includes(`layer="${layer}"`),
        );
        assert.equal(one?.value, 1, `${app} ${layer}: ${JSON.stringify((await status(s.base)).canaries)}`);
      }
    }
    const st = await status(s.base);
    assert.deepEqual(st.canaries?.failing, []);
    assert.deepEqual(st.canaries?.skipped, []);
    const last = await series(s.base, 'banwall_canary_last_success_timestamp_seconds');
    for (const x of last) assert.ok(Math.abs(x.value - Date.now() / 1000) < 30, x.labels);
  });

  void it(
    'does not count probes as client blocks, nor log them, nor ask the upstream',
    { skip: TOOLS_SKIP },
    async () => {
      const before = (await status(s.base)).canaries?.lastRound;
      await waitFor('another round', async () => {
        const now = (await status(s.base)).canaries?.lastRound;
        return now !== before && now !== null ? now : undefined;
      });
      for (const metric of ['banwall_dns_blocked_total', 'banwall_proxy_blocked_total']) {
        const v = await series(s.base, metric);
        assert.equal(
          v.reduce((a, x) => a + x.value, 0),
          0,
          `${metric}: ${JSON.stringify(v)}`,
        );
      }
      const dnsQueries = await series(s.base, 'banwall_dns_queries_total');
      assert.equal(
        dnsQueries.reduce((a, x) => a + x.value, 0),
        0,
        JSON.stringify(dnsQueries.filter((x) => x.value > 0)),
      );
      const proxyBlocked = await series(s.base, 'banwall_proxy_requests_total');
      assert.equal(
        proxyBlocked.filter((x) => x.labels.includes('result="blocked"')).reduce((a, x) => a + x.value, 0),
        0,
      );
      const top = (await (await fetch(`${s.base}/api/top`)).json()) as {
        names: unknown[];
        clients: unknown[];
      };
      assert.deepEqual([top.names, top.clients], [[], []]);
      const log = await readFile(path.join(s.dir, 'query.log'), 'utf8').catch(() => '');
      assert.equal(log, '');
      assert.deepEqual(asked(s), []);
      // A client's block is still counted: the bypass is the probe source only.
      assert.equal((await dig(s.bw.dnsPort, 'weixin.qq.com')).status, 'NXDOMAIN');
      await waitFor('the client block counted', async () => {
        const v = await series(s.base, 'banwall_dns_blocked_total');
        return v.reduce((a, x) => a + x.value, 0) === 1 ? true : undefined;
      });
    },
  );

  void it(
    'answers a query from the probe source that the policy allows REFUSED, never upstream',
    { skip: TOOLS_SKIP },
    async () => {
      const r = await dig(s.bw.dnsPort, 'allowed.test', 'A', ['-b', '127.0.0.254']);
      assert.equal(r.status, 'REFUSED');
      assert.match(r.ede ?? '', /18/);
      assert.deepEqual(asked(s), []);
      // The same name from a client resolves as usual.
      assert.equal((await dig(s.bw.dnsPort, 'allowed.test')).status, 'NOERROR');
    },
  );

  void it(
    'the proxy never dials out for a request from the probe source that the policy allows',
    { skip: TOOLS_SKIP },
    async (t) => {
      let reached = 0;
      const origin = http.createServer((_req, res) => {
        reached++;
        res.end('origin\n');
      });
      await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
      t.after(() => new Promise<void>((r) => origin.close(() => r())));
      const port = (origin.address() as AddressInfo).port;
      const viaProxy = (extra: string[]) =>
        curlViaProxy(s.bw.proxyPort!, `http://www.allowed.test:${port}/`, extra);
      const before = asked(s).length;
      const probe = await viaProxy(['--interface', '127.0.0.254']);
      assert.match(probe, /^50[24]$/, probe);
      assert.equal(reached, 0);
      assert.deepEqual(asked(s).slice(before), []);
      // A client gets through to the same origin.
      assert.equal(await viaProxy([]), '200');
      assert.equal(reached, 1);
    },
  );
});

void describe('a broken ban', { skip: TOOLS_SKIP || NO_DIG_KDIG }, () => {
  void it(
    'an allow rule for a canary name drops banwall_canary_ok within one interval and fires BanwallBanNotEnforced',
    { skip: TOOLS_SKIP },
    async (t) => {
      const s = await startStack({ canaries: { interval: `${INTERVAL_MS}ms`, timeout: '1s' } }, t);
      const prom = await startPrometheus(`127.0.0.1:${s.bw.httpPort}`, [
        path.join(ROOT, 'deploy/prometheus/alerts.yml'),
      ]);
      t.after(() => prom.stop());
      const value = async (expr: string) => {
        const r = await prom.query(expr);
        assert.equal(r.status, 'success', r.error);
        return r.result.map((x) => Number(x.value[1]));
      };
      // Prometheus 2.42 applies new targets on a 5 s tick: the first scrape takes ~6 s.
      await waitFor(
        'the canaries scraped, all 1',
        async () => {
          const v = await value('banwall_canary_ok{app="wechat"}');
          return v.length === 4 && v.every((x) => x === 1) ? true : undefined;
        },
        30_000,
      );
      assert.deepEqual(await value('ALERTS{alertname="BanwallBanNotEnforced"}'), []);

      // Break the ban on purpose: an allow entry for the name the wechat canary asks (the list's first).
      const cfgText = await readFile(s.bw.configFile, 'utf8');
      const { parse } = await import('yaml');
      const cfg = parse(cfgText) as Record<string, unknown>;
      cfg.allow = [{ name: 'oops', entries: ['weixin.qq.com'] }];
      await writeFile(path.join(s.dir, 'next.yaml'), stringify(cfg));
      await copyFile(path.join(s.dir, 'next.yaml'), s.bw.configFile);
      const reloaded = Date.now();
      const r = await fetch(`${s.base}/api/reload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(r.status, 200);

      await waitFor('banwall_canary_ok 0 on /metrics', async () => {
        const v = await series(s.base, 'banwall_canary_ok');
        return v.some((x) => x.labels.includes('app="wechat"') && x.value === 0) ? true : undefined;
      });
      assert.ok(Date.now() - reloaded <= INTERVAL_MS + 500, `took ${Date.now() - reloaded} ms`);
      const st = await status(s.base);
      const failing = st.canaries!.failing;
      assert.deepEqual([...new Set(failing.map((f) => f.layer))].sort(), ['connect', 'http', 'tcp', 'udp']);
      for (const f of failing) {
        assert.equal(f.target, 'weixin.qq.com');
        assert.match(
          f.reason,
          /^not sent: the policy allows (http:\/\/)?weixin\.qq\.com\/?: allowed by "weixin\.qq\.com" \(oops, /,
        );
      }
      // Kaspersky still holds, and nothing went to the upstream.
      const kaspersky = await series(s.base, 'banwall_canary_ok');
      assert.ok(kaspersky.filter((x) => x.labels.includes('kaspersky')).every((x) => x.value === 1));
      assert.deepEqual(asked(s), []);

      await waitFor(
        'BanwallBanNotEnforced firing',
        async () => {
          const q = await prom.query(
            'ALERTS{alertname="BanwallBanNotEnforced",alertstate="firing",app="wechat"}',
          );
          return q.result.length === 4 ? true : undefined;
        },
        20_000,
      );
    },
  );
});

void it('promtool accepts the alert rules with BanwallBanNotEnforced', { skip: TOOLS_SKIP }, async () => {
  const r = await run('promtool', ['check', 'rules', path.join(ROOT, 'deploy/prometheus/alerts.yml')]);
  assert.equal(r.code, 0, r.out);
  assert.match(
    await readFile(path.join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8'),
    /BanwallBanNotEnforced/,
  );
});
