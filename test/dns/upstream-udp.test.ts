import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts';
import { decode, query, resolve, resolver } from './upstream-helpers.ts';
import type { UpstreamResolver } from '../../src/dns/upstream/upstream-resolver.ts';

let up: FakeUpstream;
let r: UpstreamResolver;

before(async () => {
  up = await startFakeUpstream({
    zone: {
      'a.test': [
        { type: 'A', data: '192.0.2.1', ttl: 120 },
        { type: 'AAAA', data: '2001:db8::1', ttl: 90 },
        { type: 'MX', data: '10 mail.a.test' },
        { type: 'TXT', data: 'hello world' },
      ],
      'alias.test': [{ type: 'CNAME', data: 'Target.test', ttl: 50 }],
      'target.test': [{ type: 'A', data: '192.0.2.7', ttl: 100 }],
      'big.test': Array.from({ length: 20 }, (_, i) => ({
        type: 'TXT' as const,
        data: `${i}`.padEnd(200, 'x'),
      })),
    },
    udpLimit: 1232,
  });
  r = resolver({ upstreams: [up.url], timeout: '1s' });
});

after(async () => {
  await r.close();
  await up.close();
});

void test('A, AAAA, MX and TXT come back with TTL offsets, min TTL and address facts', async () => {
  const a = await resolve(r, query('a.test', 'A'));
  assert.equal(a.result, 'allowed');
  assert.equal(a.ttl, 120);
  assert.deepEqual(a.facts?.addresses, ['192.0.2.1']);
  assert.equal(a.ttlOffsets?.length, 1);
  assert.equal(a.wire.readUInt32BE(a.ttlOffsets![0]), 120);
  assert.equal(decode(a).answers[0].address, '192.0.2.1');

  const aaaa = await resolve(r, query('a.test', 'AAAA'));
  assert.deepEqual(aaaa.facts?.addresses, ['2001:db8::1']);
  assert.equal(aaaa.ttl, 90);

  const mx = decode(await resolve(r, query('a.test', 'MX')));
  assert.equal(mx.answers[0].exchange, 'mail.a.test');

  const txt = decode(await resolve(r, query('A.Test', 'TXT')));
  assert.deepEqual(txt.answers[0].data, ['hello world']);
});

void test('CNAME targets are facts, lower-cased; the OPT record is stripped', async () => {
  const a = await resolve(r, query('alias.test', 'A', { do: true }));
  assert.deepEqual(a.facts?.targets, ['target.test']);
  assert.deepEqual(a.facts?.addresses, ['192.0.2.7']);
  assert.equal(a.ttl, 50);
  assert.equal(a.wire.readUInt16BE(10), 0, 'ARCOUNT without OPT');
  assert.equal(decode(a).additionals.length, 0);
});

void test('NXDOMAIN is cacheable for min(SOA TTL, SOA MINIMUM)', async () => {
  const a = await resolve(r, query('missing.test', 'A'));
  assert.equal(a.result, 'allowed');
  assert.equal(decode(a).rcode, 3);
  assert.equal(a.ttl, 60);
});

void test('a truncated UDP answer is asked again over TCP', async () => {
  const before = up.queries.length;
  const a = await resolve(r, query('big.test', 'TXT'));
  assert.equal(decode(a).answers.length, 20);
  const protocols = up.queries.slice(before).map((q) => q.protocol);
  assert.deepEqual(protocols, ['udp', 'tcp']);
});

void test('identical concurrent misses share one upstream query', async () => {
  const before = up.queries.length;
  up.delayMs = 50;
  try {
    const answers = await Promise.all(Array.from({ length: 20 }, () => resolve(r, query('a.test', 'A'))));
    assert.equal(up.queries.length - before, 1);
    for (const a of answers) assert.equal(a.result, 'allowed');
  } finally {
    up.delayMs = 0;
  }
});

void test('an IPv6 upstream ([::1])', async () => {
  const v6 = await startFakeUpstream({
    host: '::1',
    zone: { 'six.test': [{ type: 'AAAA', data: '2001:db8::6' }] },
  });
  const r6 = resolver({ upstreams: [v6.url], timeout: '1s' });
  try {
    assert.match(v6.url, /^udp:\/\/\[::1\]:\d+$/);
    const a = await resolve(r6, query('six.test', 'AAAA'));
    assert.deepEqual(a.facts?.addresses, ['2001:db8::6']);
  } finally {
    await r6.close();
    await v6.close();
  }
});

void test('singleflight shares only identical wire questions (a label holding a dot is another name)', async () => {
  up.delayMs = 50;
  try {
    const before = up.queries.length;
    const two = query('a.test', 'A');
    // One label "a.test" (0x2e inside the label): the same text name, another question.
    const packet = Buffer.from(two.packet);
    const oneLabel = Buffer.concat([
      packet.subarray(0, 12),
      Buffer.from([6]),
      Buffer.from('a.test'),
      Buffer.from([0]),
      packet.subarray(two.questionEnd - 4),
    ]);
    const q2 = { ...two, packet: oneLabel, questionEnd: 12 + 8 + 4 };
    const [a, b] = await Promise.all([resolve(r, two), resolve(r, q2)]);
    assert.equal(up.queries.length - before, 2);
    assert.equal(a.result, 'allowed');
    assert.notEqual(a, b);
  } finally {
    up.delayMs = 0;
  }
});
