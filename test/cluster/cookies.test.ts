// `dns.workers: 2` with DNS cookies: the workers share one cookie secret, so a server cookie one
// worker issued lifts the UDP cap at the other. Each kdig uses a new source port, which the kernel's
// SO_REUSEPORT hash spreads over both workers: with a secret per worker, about half of the queries
// below would get BADCOOKIE (all 10 landing on the issuing worker by chance: 1 in 512).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { startBanwall, testConfig } from '../helpers/banwall.ts';
import { kdig, NO_DIG_KDIG } from '../helpers/dig.ts';

const TXT = Array.from({ length: 40 }, (_, i) => ({
  type: 'TXT' as const,
  data: `record ${i} ${'x'.repeat(60)}`,
}));

void test('dns.workers: 2 accept each other’s server cookies', { skip: NO_DIG_KDIG }, async (t) => {
  const upstream = await startFakeUpstream({ zone: { 'big.test': TXT } });
  t.after(() => upstream.close());
  const bw = await startBanwall(testConfig([upstream.url], { dns: { workers: 2, maxUdpSize: 65535 } }), {
    timeoutMs: 60_000,
  });
  t.after(() => bw.stop('SIGKILL'));
  const started = await bw.waitForLog((l) => l.msg === 'banwall cluster started', 60_000);
  const dnsPort = (started.dns as { port: number }[])[0].port;
  const udp = ['+bufsize=65535', '+notcp', '+ignore', '+nobadcookie', 'big.test', 'TXT'];

  const first = await kdig(dnsPort, ['+cookie', ...udp]);
  assert.equal(first.cookie?.length, 48, `a server cookie is issued: ${first.raw}`);
  for (let i = 0; i < 10; i++) {
    const r = await kdig(dnsPort, [`+cookie=${first.cookie}`, ...udp]);
    assert.equal(r.status, 'NOERROR', `query ${i}: ${r.status}`);
    assert.equal(r.answers, 40, `query ${i}: the whole answer over UDP`);
  }
});
