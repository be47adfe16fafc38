// `dns.workers: 2`: a primary and two worker processes share the DNS port (SO_REUSEPORT), answer
// through the same chain, publish one aggregated /metrics, reload together and stop together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { startBanwall, testConfig } from '../helpers/banwall.ts';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';

const TOKEN = 'cluster-test-token-0123456789';

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

function queriesTotal(metrics: string): number {
  let sum = 0;
  for (const m of metrics.matchAll(/^banwall_dns_queries_total\{[^}]*\} (\d+)/gm)) sum += Number(m[1]);
  return sum;
}

void test(
  'dns.workers: 2 serves one port from two processes with aggregated metrics',
  { skip: NO_DIG_KDIG },
  async (t) => {
    const upstream = await startFakeUpstream({ zone: { 'www.example': [{ type: 'A', data: '192.0.2.1' }] } });
    t.after(() => upstream.close());
    const dir = await mkdtemp(path.join(tmpdir(), 'banwall-cluster-'));
    await writeFile(path.join(dir, 'blocked.txt'), 'blocked.example\n');
    const bw = await startBanwall(
      testConfig([upstream.url], {
        dns: { workers: 2 },
        http: { listen: ['127.0.0.1:0'], token: TOKEN },
        lists: [{ name: 'b', app: 'test', category: 'core', source: 'blocked.txt' }],
        groups: [{ name: 'default', lists: ['b'] }],
      }),
      { dir, timeoutMs: 60_000 },
    );
    t.after(() => bw.stop('SIGKILL'));
    const started = await bw.waitForLog((l) => l.msg === 'banwall cluster started', 60_000);
    const httpPort = (started.http as { port: number }[])[0].port;
    const dnsPort = (started.dns as { port: number }[])[0].port;
    const workers = childrenOf(bw.proc.pid!);
    assert.equal(workers.length, 2, 'two worker processes');

    // Each dig uses a new source port: the kernel spreads them over both workers' sockets.
    const n = 12;
    for (let i = 0; i < n; i++) {
      const r = await dig(dnsPort, i % 3 === 0 ? 'blocked.example' : 'www.example');
      assert.equal(r.status, i % 3 === 0 ? 'NXDOMAIN' : 'NOERROR');
    }
    const tcp = await dig(dnsPort, 'www.example', 'A', ['+tcp']);
    assert.equal(tcp.answers[0]?.data, '192.0.2.1');

    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    assert.equal(queriesTotal(metrics), n + 1, 'every query counted once, over both workers');

    const ready = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
    assert.equal(ready.status, 200, 'other paths are answered by a worker');

    const denied = await fetch(`http://127.0.0.1:${httpPort}/api/reload`, { method: 'POST' });
    assert.equal(denied.status, 401);
    const reload = await fetch(`http://127.0.0.1:${httpPort}/api/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const body = (await reload.json()) as { ok: boolean; workers: number };
    assert.equal(reload.status, 200);
    assert.deepEqual([body.ok, body.workers], [true, 2]);

    assert.equal(await bw.stop('SIGTERM'), 0);
    for (const pid of workers) assert.throws(() => process.kill(pid, 0), 'worker gone after SIGTERM');
  },
);
