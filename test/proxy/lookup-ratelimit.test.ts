// Issue 12.6: a client refused by the DNS rate limiter made 30/30 upstream lookups through the proxy
// (`http://pN.example/`). The proxy's lookups now spend the same per-client bucket as that client's
// DNS queries: over budget the proxy answers 429 with Retry-After and asks nothing upstream. A real
// banwall, real dig (-b 127.0.0.x) and real curl (--interface 127.0.0.x), one source address per
// client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBanwall, testConfig, type RunningBanwall } from '../helpers/banwall.ts';
import { startFakeUpstream, type FakeRecord, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';
import { startHttpOrigin, type Origin } from './fixtures.ts';
import { curl } from '../helpers/curl.ts';

const BURST = 5;

let up: FakeUpstream;
let bw: RunningBanwall;
let origin: Origin;
let proxyUrl: string;

before(async () => {
  origin = await startHttpOrigin();
  const zone: Record<string, FakeRecord[]> = {};
  for (const prefix of ['p', 'q', 'r']) {
    for (let i = 1; i <= 30; i++)
      zone[`${prefix}${i}.example`] = [{ type: 'A', data: '127.0.0.1', ttl: 300 }];
  }
  up = await startFakeUpstream({ zone });
  bw = await startBanwall(
    testConfig([up.url], {
      // One token every 100 s: nothing refills during the test.
      dns: { rateLimit: { qps: 0.01, burst: BURST } },
      proxy: { listen: ['127.0.0.1:0'], deniedTargets: [], allowInternal: ['127.0.0.0/8'] },
    }),
  );
  proxyUrl = `http://127.0.0.1:${bw.proxyPort}`;
});

after(async () => {
  await bw?.stop();
  await up?.close();
  await origin?.close();
});

const upstreamAsked = (names: string[]) => up.queries.filter((q) => names.includes(q.name)).length;

void test(
  'a client refused by the DNS rate limiter gets 429 from the proxy, and nothing is asked upstream',
  { skip: NO_DIG_KDIG },
  async () => {
    const from = '127.0.0.5';
    for (let i = 1; i <= BURST; i++) {
      assert.equal((await dig(bw.dnsPort, `p${i}.example`, 'A', ['-b', from])).status, 'NOERROR');
    }
    assert.equal(
      (await dig(bw.dnsPort, 'p6.example', 'A', ['-b', from])).status,
      'REFUSED',
      'DNS budget spent',
    );
    // The attack of the issue: 30 names through the proxy.
    const names: string[] = [];
    for (let i = 1; i <= 30; i++) names.push(`p${i}.example`);
    const before = up.queries.length;
    const statuses = new Set<number>();
    for (const name of names.slice(6)) {
      const r = await curl(['--interface', from, '-x', proxyUrl, `http://${name}:${origin.port}/`]);
      statuses.add(r.status);
      if (name === 'p7.example') {
        assert.match(r.headers, /Retry-After: 1/i);
        assert.match(r.body, /too many name lookups.*dns\.rateLimit/);
      }
    }
    assert.deepEqual([...statuses], [429]);
    assert.equal(upstreamAsked(names.slice(6)), 0, 'no upstream lookup for an over-budget client');
    assert.equal(up.queries.length, before);
    // CONNECT too: refused before anything is resolved or dialled.
    const tunnel = await curl(['--interface', from, '-x', proxyUrl, 'https://p30.example/']);
    assert.match(tunnel.headers, /^HTTP\/1\.1 429/m);
    assert.equal(upstreamAsked(['p30.example']), 0);
  },
);

void test(
  "the proxy's lookups spend the same bucket as the client's DNS queries; other clients are unaffected",
  { skip: NO_DIG_KDIG },
  async () => {
    const from = '127.0.0.6';
    for (let i = 1; i <= BURST; i++) {
      const r = await curl(['--interface', from, '-x', proxyUrl, `http://q${i}.example:${origin.port}/`]);
      assert.equal(r.status, 200, `q${i}`);
    }
    assert.equal((await dig(bw.dnsPort, 'q9.example', 'A', ['-b', from])).status, 'REFUSED');
    assert.equal(upstreamAsked(['q9.example']), 0);
    const other = await curl([
      '--interface',
      '127.0.0.7',
      '-x',
      proxyUrl,
      `http://r1.example:${origin.port}/`,
    ]);
    assert.equal(other.status, 200);
  },
);
