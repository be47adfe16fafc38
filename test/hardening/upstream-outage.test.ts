// Upstream outages: serve-stale then SERVFAIL with an Extended DNS Error; a garbage or slow upstream is
// set aside; a cap on pending upstream queries; identical concurrent misses share one upstream query.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { startBanwall, testConfig } from '../helpers/banwall.ts';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';
import { rcodeOf, udpExchange } from '../helpers/dns-client.ts';
import { queryPacket } from '../helpers/dns-query.ts';

const zone = (n: number) =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [
      `n${i}.test`,
      [{ type: 'A' as const, data: `192.0.2.${i % 250}`, ttl: 1 }],
    ]),
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void describe('upstream outages', { skip: NO_DIG_KDIG }, () => {
  void it('serves stale answers when every upstream is down, then SERVFAIL with an EDE', async () => {
    const up = await startFakeUpstream({ zone: zone(2) });
    const bw = await startBanwall(
      testConfig([up.url], { dns: { timeout: '600ms', cache: { prefetch: { enabled: false } } } }),
    );
    try {
      const fresh = await dig(bw.dnsPort, 'n0.test');
      assert.equal(fresh.answers[0]?.data, '192.0.2.0');
      up.mode = 'silent';
      await sleep(1500); // past the 1 s TTL
      const stale = await dig(bw.dnsPort, 'n0.test');
      assert.equal(stale.status, 'NOERROR');
      assert.equal(stale.answers[0]?.data, '192.0.2.0', 'the expired answer is served');
      assert.equal(stale.answers[0]?.ttl, 30, 'RFC 8767: stale answers carry TTL 30');
      assert.match(stale.ede ?? '', /^3\b/, `EDE 3 Stale Answer: ${stale.ede}`);
      const never = await dig(bw.dnsPort, 'n1.test');
      assert.equal(never.status, 'SERVFAIL');
      assert.match(never.ede ?? '', /^(22|23)\b/, `EDE 22/23: ${never.ede}`);
    } finally {
      await bw.stop();
      await up.close();
    }
  });

  void it('sets aside an upstream that answers garbage and one that answers slowly', async () => {
    const good1 = await startFakeUpstream({ zone: zone(60) });
    const good2 = await startFakeUpstream({ zone: zone(60) });
    const garbage = await startFakeUpstream({ zone: zone(60) });
    garbage.mode = 'garbage';
    const slow = await startFakeUpstream({ zone: zone(60) });
    slow.delayMs = 1500;
    const bw = await startBanwall(
      testConfig([garbage.url, slow.url, good1.url, good2.url], { dns: { timeout: '2s' } }),
    );
    try {
      const started = performance.now();
      for (let i = 0; i < 60; i++) {
        const r = await udpExchange(bw.dnsPort, queryPacket(`n${i}.test`, 1, { id: i }), { timeoutMs: 3000 });
        assert.ok(r !== null && rcodeOf(r) === 0, `n${i}.test answered`);
      }
      const perQuery = (performance.now() - started) / 60;
      assert.ok(
        perQuery < 200,
        `answers are not held up by the slow upstream (${perQuery.toFixed(0)} ms each)`,
      );
      assert.ok(garbage.queries.length < 15, `garbage upstream set aside (${garbage.queries.length} of 60)`);
      assert.ok(slow.queries.length < 15, `slow upstream set aside (${slow.queries.length} of 60)`);
    } finally {
      await bw.stop();
      await Promise.all([good1.close(), good2.close(), garbage.close(), slow.close()]);
    }
  });

  void it('answers SERVFAIL at once beyond dns.maxPending instead of queueing', async () => {
    const up = await startFakeUpstream({ zone: zone(40) });
    up.mode = 'silent';
    const bw = await startBanwall(testConfig([up.url], { dns: { maxPending: 5, timeout: '2s' } }));
    try {
      const started = performance.now();
      const fast: number[] = [];
      await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const r = await udpExchange(bw.dnsPort, queryPacket(`n${i}.test`, 1, { id: i }), {
            timeoutMs: 4000,
          });
          if (r !== null && rcodeOf(r) === 2 && performance.now() - started < 1000) fast.push(i);
        }),
      );
      assert.ok(
        fast.length >= 20,
        `queries over the cap get SERVFAIL before the 2 s timeout (${fast.length})`,
      );
      assert.ok(up.queries.length <= 10, `at most maxPending reach the upstream (${up.queries.length})`);
    } finally {
      await bw.stop();
      await up.close();
    }
  });

  void it('sends one upstream query for identical concurrent misses', async () => {
    const up = await startFakeUpstream({ zone: zone(1) });
    up.delayMs = 300;
    const bw = await startBanwall(testConfig([up.url]));
    try {
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) => udpExchange(bw.dnsPort, queryPacket('n0.test', 1, { id: i }))),
      );
      assert.ok(replies.every((r) => r !== null && rcodeOf(r) === 0 && r.readUInt16BE(6) === 1));
      assert.ok(
        replies.every((r, i) => r!.readUInt16BE(0) === i),
        'each reply carries its own ID',
      );
      const asked = up.queries.filter((q) => q.name === 'n0.test').length;
      assert.equal(asked, 1, `one upstream query for 20 identical misses (${asked})`);
    } finally {
      await bw.stop();
      await up.close();
    }
  });
});
