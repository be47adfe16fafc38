// The resolver core end to end: a real banwall process (`banwall serve`) on loopback in front of a
// fake authoritative upstream, asked with dig and raw packets: record types over UDP and TCP, TTLs
// lowered on cached answers, negative caching, serve-stale after the upstream stops, the cache
// metrics, and 10,000 malformed packets without a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';
import { banwallSuite } from '../helpers/banwall-suite.ts';
import { queryPacket } from '../helpers/dns-query.ts';
import { udpFlood } from '../helpers/malformed-packets.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('dig', 'kdig');

const suite = banwallSuite({
  upstream: {
    zone: {
      'a.test': [
        { type: 'A', data: '192.0.2.1', ttl: 300 },
        { type: 'AAAA', data: '2001:db8::1', ttl: 300 },
        { type: 'MX', data: '10 mail.a.test', ttl: 300 },
        { type: 'TXT', data: 'v=spf1 -all', ttl: 300 },
      ],
      'alias.test': [{ type: 'CNAME', data: 'a.test', ttl: 300 }],
      'short.test': [{ type: 'A', data: '192.0.2.9', ttl: 1 }],
    },
  },
  config: { dns: { timeout: '500ms' } },
});

const data = (r: Awaited<ReturnType<typeof dig>>) => r.answers.map((a) => `${a.type} ${a.data}`);

for (const extra of [[], ['+tcp']]) {
  void test(
    `A, AAAA, CNAME, MX, TXT ${extra.length ? 'over TCP' : 'over UDP'}`,
    { skip: TOOLS_SKIP },
    async () => {
      assert.deepEqual(data(await dig(suite.bw.dnsPort, 'a.test', 'A', extra)), ['A 192.0.2.1']);
      assert.deepEqual(data(await dig(suite.bw.dnsPort, 'a.test', 'AAAA', extra)), ['AAAA 2001:db8::1']);
      assert.deepEqual(data(await dig(suite.bw.dnsPort, 'a.test', 'MX', extra)), ['MX 10 mail.a.test.']);
      assert.deepEqual(data(await dig(suite.bw.dnsPort, 'a.test', 'TXT', extra)), ['TXT "v=spf1 -all"']);
      const alias = await dig(suite.bw.dnsPort, 'alias.test', 'A', extra);
      assert.ok(data(alias).includes('CNAME a.test.'));
      assert.ok(data(alias).includes('A 192.0.2.1'));
    },
  );
}

void test(
  'cache: TTL lowered on a hit, negative answers cached, stale served after the upstream stops',
  { skip: NO_DIG_KDIG },
  async () => {
    assert.equal((await dig(suite.bw.dnsPort, 'ttl.a.test', 'A')).status, 'NXDOMAIN');
    suite.up.zone['ttl.a.test'] = [{ type: 'A', data: '192.0.2.5', ttl: 300 }];
    // The NXDOMAIN is cached (SOA minimum 60): the new record is not seen yet, the upstream not asked.
    // Counted by name: banwall's own health probes (the root NS) reach the same upstream meanwhile.
    const askedFor = () => suite.up.queries.filter((q) => q.name === 'ttl.a.test').length;
    const asked = askedFor();
    assert.equal((await dig(suite.bw.dnsPort, 'ttl.a.test', 'A')).status, 'NXDOMAIN');
    assert.equal(askedFor(), asked);

    const fresh = await dig(suite.bw.dnsPort, 'a.test', 'A');
    assert.equal((await dig(suite.bw.dnsPort, 'short.test', 'A')).status, 'NOERROR');
    // The one sleep of this file: long enough for the TTL to drop and short.test (TTL 1) to expire.
    await new Promise((r) => setTimeout(r, 1100));
    const later = await dig(suite.bw.dnsPort, 'a.test', 'A');
    assert.ok(
      later.answers[0].ttl < fresh.answers[0].ttl,
      `${later.answers[0].ttl} < ${fresh.answers[0].ttl}`,
    );
    assert.ok(!later.flags.includes('aa'), 'a cached answer is not authoritative');

    suite.up.mode = 'silent';
    const stale = await dig(suite.bw.dnsPort, 'short.test', 'A');
    assert.equal(stale.status, 'NOERROR');
    assert.deepEqual(data(stale), ['A 192.0.2.9']);
    assert.equal(stale.answers[0].ttl, 30);
    assert.match(stale.ede ?? '', /3 \(Stale Answer\)/);
    suite.up.mode = 'answer';
  },
);

void test('the cache metrics are published on /metrics', { skip: TOOLS_SKIP || NO_DIG_KDIG }, async (t) => {
  if (suite.bw.httpPort === undefined) return t.skip('no HTTP listener');
  await dig(suite.bw.dnsPort, 'a.test', 'A');
  const text = await (await fetch(`http://127.0.0.1:${suite.bw.httpPort}/metrics`)).text();
  const hits = /^banwall_dns_cache_hits_total (\d+)/m.exec(text);
  assert.ok(hits && Number(hits[1]) > 0, 'cache hits counted');
  assert.match(text, /^banwall_dns_cache_misses_total \d+/m);
  assert.match(text, /^banwall_dns_cache_entries \d+/m);
  assert.match(text, /^banwall_dns_cache_bytes \d+/m);
  assert.match(text, /^banwall_dns_prefetches_total \d+/m);
});

void test(
  '10,000 malformed packets do not crash banwall, and normal answers follow',
  { skip: NO_DIG_KDIG },
  async () => {
    await udpFlood(suite.bw.dnsPort, queryPacket('a.test', 1, { edns: {} }), 99, 100);
    assert.equal(suite.bw.proc.exitCode, null, 'still running');
    assert.deepEqual(data(await dig(suite.bw.dnsPort, 'a.test', 'A')), ['A 192.0.2.1']);
    assert.deepEqual(data(await dig(suite.bw.dnsPort, 'a.test', 'TXT', ['+tcp'])), ['TXT "v=spf1 -all"']);
  },
);
