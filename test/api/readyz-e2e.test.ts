// Issue 13 "Health that tells the truth", against a running banwall with no client traffic at all:
// ready only once a main upstream has answered a health probe; unready within two probe intervals
// after the only upstream stops; ready again when it is back on the same port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBanwall, testConfig } from '../helpers/banwall.ts';
import { startFakeUpstream } from '../helpers/fake-upstream/dns.ts';

const INTERVAL_MS = 1000;

interface Readiness {
  status: number;
  body: { ready: boolean; reason?: string; upstreams: { url: string; answering: boolean }[] };
}

async function readyz(base: string): Promise<Readiness> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as Readiness['body'] };
}

/** Polls /readyz every 50 ms until it answers `status`; resolves with the time that took. */
async function until(base: string, status: number, limitMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const r = await readyz(base);
    const took = performance.now() - started;
    if (r.status === status) return took;
    if (took > limitMs)
      assert.fail(`/readyz still ${r.status} after ${Math.round(took)} ms: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

void test('/readyz follows the upstream by active probes alone, with no client traffic', async (t) => {
  let up = await startFakeUpstream();
  const port = up.port;
  const bw = await startBanwall(
    testConfig([up.url], { dns: { timeout: '500ms', healthProbe: { interval: `${INTERVAL_MS}ms` } } }),
  );
  t.after(async () => {
    await bw.stop();
    await up.close();
  });
  const base = `http://127.0.0.1:${bw.httpPort}`;

  // Ready as soon as the probe sent at start has been answered: `. NS`, and nothing else was asked.
  await until(base, 200, 5000);
  assert.ok(up.queries.length >= 1);
  assert.ok(
    up.queries.every((q) => q.name === '' && q.type === 2),
    `only probes: ${JSON.stringify(up.queries)}`,
  );

  // The upstream goes away. Nobody asks banwall anything; only /readyz is polled.
  await up.close();
  const downIn = await until(base, 503, 3 * INTERVAL_MS);
  assert.ok(downIn < 2 * INTERVAL_MS, `unready after ${Math.round(downIn)} ms, not within two intervals`);
  const down = await readyz(base);
  assert.equal(down.body.ready, false);
  assert.deepEqual(
    down.body.upstreams.map((u) => u.answering),
    [false],
  );
  assert.match(String(down.body.reason), /every upstream is down/);
  assert.equal((await fetch(`${base}/healthz`)).status, 200, 'alive while unready');

  // Back on the same port: ready again at the next probe, still with no client traffic.
  up = await startFakeUpstream({ port });
  const upIn = await until(base, 200, 3 * INTERVAL_MS);
  assert.ok(upIn < 2 * INTERVAL_MS, `ready again after ${Math.round(upIn)} ms`);
  assert.ok(up.queries.every((q) => q.name === '' && q.type === 2));
});
