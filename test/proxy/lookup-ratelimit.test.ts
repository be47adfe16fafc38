// Issue 12.6: a client refused by the DNS rate limiter made 30/30 upstream lookups through the proxy
// (`http://pN.example/`). The proxy's lookups now spend the same per-client bucket as that client's
// DNS queries: over budget the proxy answers 429 with Retry-After and asks nothing upstream. A real
// banwall, real dig (-b 127.0.0.x) and real curl (--interface 127.0.0.x), one source address per
// client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { aRecords, startProxiedBanwall, type ProxiedBanwall } from './banwall-proxy.ts';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';
import { startHttpOrigin, type Origin } from './fixtures.ts';
import { curl } from '../helpers/curl.ts';
import { clientQueries } from '../helpers/fake-upstream/dns.ts';

const BURST = 5;

let stack: ProxiedBanwall;
let origin: Origin;

before(async () => {
  origin = await startHttpOrigin();
  const names = ['p', 'q', 'r'].flatMap((p) => Array.from({ length: 30 }, (_, i) => `${p}${i + 1}.example`));
  stack = await startProxiedBanwall({
    zone: aRecords(names),
    // One token every 100 s: nothing refills during the test.
    config: { dns: { rateLimit: { qps: 0.01, burst: BURST } } },
    closeWith: [origin],
  });
});

after(async () => {
  await stack?.close();
});

const upstreamAsked = (names: string[]) => stack.up.queries.filter((q) => names.includes(q.name)).length;
/** What clients made banwall ask upstream: all but the health probes. */
const clientLookups = () => clientQueries(stack.up);
/** The rcode banwall's DNS answers `name` with, asked from the source address `from`. */
const digFrom = async (from: string, name: string) =>
  (await dig(stack.bw.dnsPort, name, 'A', ['-b', from])).status;
/** `url` through banwall's proxy, from the source address `from`. */
const getFrom = (from: string, url: string) => curl(['--interface', from, '-x', stack.proxyUrl, url]);

void test(
  'a client refused by the DNS rate limiter gets 429 from the proxy, and nothing is asked upstream',
  { skip: NO_DIG_KDIG },
  async () => {
    const from = '127.0.0.5';
    for (let i = 1; i <= BURST; i++) assert.equal(await digFrom(from, `p${i}.example`), 'NOERROR');
    assert.equal(await digFrom(from, 'p6.example'), 'REFUSED', 'DNS budget spent');
    // The attack of the issue: 30 names through the proxy.
    const names = Array.from({ length: 30 }, (_, i) => `p${i + 1}.example`);
    const before = clientLookups();
    const statuses = new Set<number>();
    for (const name of names.slice(6)) {
      const r = await getFrom(from, `http://${name}:${origin.port}/`);
      statuses.add(r.status);
      if (name === 'p7.example') {
        assert.match(r.headers, /Retry-After: 1/i);
        assert.match(r.body, /too many name lookups.*dns\.rateLimit/);
      }
    }
    assert.deepEqual([...statuses], [429]);
    assert.equal(upstreamAsked(names.slice(6)), 0, 'no upstream lookup for an over-budget client');
    assert.equal(clientLookups(), before);
    // CONNECT too: refused before anything is resolved or dialled.
    const tunnel = await getFrom(from, 'https://p30.example/');
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
      assert.equal((await getFrom(from, `http://q${i}.example:${origin.port}/`)).status, 200, `q${i}`);
    }
    assert.equal(await digFrom(from, 'q9.example'), 'REFUSED');
    assert.equal(upstreamAsked(['q9.example']), 0);
    const other = await getFrom('127.0.0.7', `http://r1.example:${origin.port}/`);
    assert.equal(other.status, 200);
  },
);
