// Unit tests of the rate-limit and ANY links alone: each fails when its protection is removed (the ACL
// link's is test/dns/acl/acl-resolver.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimitingResolver } from '../../../src/dns/ratelimit/rate-limiting-resolver.ts';
import { AnyResolver } from '../../../src/dns/ratelimit/any-resolver.ts';
import { rateLimitSchema } from '../../../src/dns/ratelimit/config.ts';
import { DROP_WIRE, type DnsAnswer } from '../../../src/dns/resolver.ts';
import { DnsStats } from '../../../src/dns/stats/dns-stats.ts';
import { CountingResolver, rcodeOfAnswer, syncAnswer } from '../../helpers/counting-resolver.ts';
import { dnsQuery } from '../../helpers/dns-query.ts';

void test('RateLimitingResolver refuses a client over its burst and refills at qps', () => {
  const next = new CountingResolver();
  const cfg = rateLimitSchema.parse({ qps: 10, burst: 5 });
  const rl = new RateLimitingResolver(next, cfg, new DnsStats());
  const results = [];
  for (let i = 0; i < 8; i++)
    results.push(
      syncAnswer(rl.resolve(dnsQuery('a.test', 1, { client: '192.0.2.1', received: 1000 }))).result,
    );
  assert.deepEqual(results, [
    'allowed',
    'allowed',
    'allowed',
    'allowed',
    'allowed',
    ...Array(3).fill('ratelimited'),
  ]);
  const limited = syncAnswer(rl.resolve(dnsQuery('a.test', 1, { client: '192.0.2.1', received: 1000 })));
  assert.equal(rcodeOfAnswer(limited), 5);
  // Another client has its own bucket.
  assert.equal(
    syncAnswer(rl.resolve(dnsQuery('a.test', 1, { client: '192.0.2.2', received: 1000 }))).result,
    'allowed',
  );
  // 10 qps: after 200 ms two tokens are back, not three.
  const later = [0, 1, 2].map(
    () => syncAnswer(rl.resolve(dnsQuery('a.test', 1, { client: '192.0.2.1', received: 1200 }))).result,
  );
  assert.deepEqual(later, ['allowed', 'allowed', 'ratelimited']);
  assert.equal(next.calls, 8);
});

void test('RateLimitingResolver aggregates an IPv6 /64 into one bucket', () => {
  const next = new CountingResolver();
  const rl = new RateLimitingResolver(next, rateLimitSchema.parse({ qps: 1, burst: 2 }), new DnsStats());
  const r = ['2001:db8:1:1::1', '2001:db8:1:1::2', '2001:db8:1:1:ffff::3'].map(
    (c) => syncAnswer(rl.resolve(dnsQuery('a.test', 1, { client: c, received: 0 }))).result,
  );
  assert.deepEqual(r, ['allowed', 'allowed', 'ratelimited']);
  assert.equal(
    syncAnswer(rl.resolve(dnsQuery('a.test', 1, { client: '2001:db8:1:2::1', received: 0 }))).result,
    'allowed',
  );
});

void test('RateLimitingResolver drop action sends nothing', () => {
  const rl = new RateLimitingResolver(
    new CountingResolver(),
    rateLimitSchema.parse({ qps: 1, burst: 1, action: 'drop' }),
    new DnsStats(),
  );
  syncAnswer(rl.resolve(dnsQuery('example.test', 1, { client: '192.0.2.1', received: 0 })));
  const dropped = syncAnswer(rl.resolve(dnsQuery('example.test', 1, { client: '192.0.2.1', received: 0 })));
  assert.equal(dropped.result, 'ratelimited');
  assert.equal(dropped.wire, DROP_WIRE);
});

void test('RateLimitingResolver keeps at most maxClients buckets, evicting the least recently active', () => {
  const rl = new RateLimitingResolver(
    new CountingResolver(),
    rateLimitSchema.parse({ qps: 1, burst: 1, maxClients: 100 }),
    new DnsStats(),
  );
  for (let i = 0; i < 10_000; i++)
    void rl.resolve(dnsQuery('a.test', 1, { client: `10.0.${i >> 8}.${i & 255}`, received: i }));
  assert.equal(rl.clients, 100);
  assert.equal(rl.evicted, 9_900);
});

void test('RateLimitingResolver hot path: 1,000 clients, figure printed for the source comment', () => {
  const answer: DnsAnswer = { wire: Buffer.alloc(12), result: 'allowed' };
  const next = { calls: 0, resolve: () => (next.calls++, answer) };
  const rl = new RateLimitingResolver(next, rateLimitSchema.parse({ qps: 1e9, burst: 1e9 }), new DnsStats());
  const queries = Array.from({ length: 1000 }, (_, i) =>
    dnsQuery('example.test', 1, { client: `10.0.${i >> 8}.${i & 255}`, received: 0 }),
  );
  const t = performance.now();
  for (let k = 0; k < 1000; k++) for (const q of queries) void rl.resolve(q);
  const ms = performance.now() - t;
  console.log(`rate limit link: ${(((1_000_000 / ms) * 1000) / 1e6).toFixed(1)} M checks/s`);
  assert.equal(next.calls, 1_000_000);
});

void test('AnyResolver minimal answers ANY with one HINFO "RFC8482" and never asks the next link', () => {
  const next = new CountingResolver();
  const any = new AnyResolver(next, 'minimal');
  const a = syncAnswer(any.resolve(dnsQuery('example.test', 255, { client: '127.0.0.1', received: 0 })));
  assert.equal(rcodeOfAnswer(a), 0);
  assert.equal(a.wire.readUInt16BE(6), 1, 'one answer');
  const q = dnsQuery('example.test', 255, { client: '127.0.0.1', received: 0 }).questionEnd;
  assert.equal(a.wire.readUInt16BE(q + 2), 13, 'HINFO');
  assert.equal(a.wire.subarray(q + 13, q + 20).toString(), 'RFC8482');
  assert.equal(a.wire[q + 20], 0, 'empty OS string');
  assert.deepEqual([...(a.ttlOffsets ?? [])], [q + 6]);
  assert.equal(next.calls, 0);
  syncAnswer(any.resolve(dnsQuery('example.test', 1, { client: '127.0.0.1', received: 0 })));
  assert.equal(next.calls, 1, 'other types pass through');
});

void test('AnyResolver refuse answers REFUSED', () => {
  const next = new CountingResolver();
  const a = syncAnswer(
    new AnyResolver(next, 'refuse').resolve(
      dnsQuery('example.test', 255, { client: '127.0.0.1', received: 0 }),
    ),
  );
  assert.equal(a.result, 'refused');
  assert.equal(rcodeOfAnswer(a), 5);
  assert.equal(next.calls, 0);
});
