// The admin API of a real banwall: status with the real lists, explain giving the same answer as
// `banwall explain`, cache flush and top over real traffic, and /readyz turning unready when every
// upstream is down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { assertRcodes, dig, NO_DIG_KDIG } from '../helpers/dig.ts';
import { formatExplain, type ExplainResult } from '../../src/policy/explain.ts';
import { startStack, TOKEN } from '../metrics/e2e-helpers.ts';

async function get(base: string, p: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${p}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

void test(
  'status, explain, top, cache flush and the query log of a running banwall',
  { skip: NO_DIG_KDIG },
  async (t) => {
    const s = await startStack({}, t);
    await assertRcodes(s.bw.dnsPort, [
      ['allowed.test', 'A', 'NOERROR'],
      ['weixin.qq.com', 'A', 'NXDOMAIN'],
      ['weixin.qq.com', 'HTTPS', 'NXDOMAIN'],
    ]);

    const status = await get(s.base, '/api/status');
    assert.equal(status.status, 200);
    const lists = status.body.lists as {
      name: string;
      entries: number;
      ageSeconds: number;
      stale: boolean;
    }[];
    assert.deepEqual(
      lists.map((l) => [l.name, l.entries, l.stale]),
      [
        ['wechat-core', 2, false],
        ['kaspersky-update', 1, false],
      ],
    );
    assert.ok(lists.every((l) => l.ageSeconds >= 0 && l.ageSeconds < 60));
    const ups = status.body.upstreams as { url: string; healthy: boolean }[];
    assert.deepEqual(
      ups.map((u) => [u.url, u.healthy]),
      [[s.up.url, true]],
    );
    assert.equal((status.body.queries as Record<string, number>).blocked, 2);

    // The API and the CLI give the same answer.
    const api = await get(s.base, '/api/explain?name=long.weixin.qq.com&client=127.0.0.1&type=AAAA');
    assert.equal(api.status, 200);
    assert.equal(api.body.decision, 'blocked');
    assert.equal((api.body.decidingRule as { list: string }).list, 'wechat-core');
    const cli = await runCli([
      'explain',
      'long.weixin.qq.com',
      '--type',
      'AAAA',
      '--config',
      s.bw.configFile,
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout.trim(), formatExplain(api.body as unknown as ExplainResult));

    const top = await get(s.base, '/api/top');
    assert.deepEqual(top.body.names, [{ name: 'weixin.qq.com', count: 2, error: 0 }]);
    assert.deepEqual(top.body.clients, [{ client: '127.0.0.1', count: 2, error: 0 }]);

    const flush = await fetch(`${s.base}/api/cache/flush`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(flush.status, 200);
    assert.ok(((await flush.json()) as { flushed: number }).flushed >= 1, 'allowed.test was cached');
    // Counted by name: on a slow run the health probe (`. NS` every 5 s) reaches the upstream too.
    const askedFor = (name: string) => s.up.queries.filter((q) => q.name === name).length;
    const before = askedFor('allowed.test');
    assert.equal((await dig(s.bw.dnsPort, 'allowed.test')).status, 'NOERROR');
    assert.equal(askedFor('allowed.test'), before + 1, 'after a flush the name is asked upstream again');

    const unauth = await fetch(`${s.base}/api/cache/flush`, { method: 'POST' });
    assert.equal(unauth.status, 401);

    // The query log file holds the two blocked queries (flushed asynchronously).
    const logFile = path.join(s.dir, 'query.log');
    let logged: Record<string, unknown>[] = [];
    for (let i = 0; i < 40 && logged.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      logged = (await readFile(logFile, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    }
    assert.deepEqual(
      logged.map((l) => [l.name, l.type, l.app, l.category, l.list, l.rule, l.protocol, l.client]),
      [
        ['weixin.qq.com', 'A', 'wechat', 'core', 'wechat-core', 'weixin.qq.com', 'udp', '127.0.0.1'],
        ['weixin.qq.com', 'HTTPS', 'wechat', 'core', 'wechat-core', 'weixin.qq.com', 'udp', '127.0.0.1'],
      ],
    );
  },
);

void test('/readyz turns unready when every upstream is down', { skip: NO_DIG_KDIG }, async (t) => {
  const s = await startStack({ dns: { timeout: '300ms', healthProbe: { interval: '500ms' } } }, t);
  // Ready once the first health probe has been answered (sent at start, on loopback: at once).
  let ready = await get(s.base, '/readyz');
  for (let i = 0; i < 40 && ready.status !== 200; i++) {
    await new Promise((res) => setTimeout(res, 50));
    ready = await get(s.base, '/readyz');
  }
  assert.equal(ready.status, 200);
  assert.equal(ready.body.ready, true);
  assert.equal((await get(s.base, '/healthz')).status, 200);

  s.up.mode = 'silent';
  let r = ready;
  for (let i = 0; i < 20 && r.status === 200; i++) {
    await dig(s.bw.dnsPort, `down-${i}.allowed.test`).catch(() => undefined);
    r = await get(s.base, '/readyz');
  }
  assert.equal(r.status, 503);
  assert.equal(r.body.ready, false);
  assert.match(String(r.body.reason), /every upstream is down/);
  assert.equal((await get(s.base, '/healthz')).status, 200, 'alive even when not ready');
});
