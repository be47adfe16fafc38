import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream/dns.ts';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import dns2 from 'dns2';
import { parseQuery } from '../../../src/dns/wire/parse-query.ts';
import { decode, resolve, resolver } from './upstream-helpers.ts';
import { parsedQuery } from '../../helpers/dns-query.ts';
import { answer } from '../../helpers/fake-upstream/encrypted.ts';

const { Packet } = dns2;
import type { UpstreamResolver } from '../../../src/dns/upstream/upstream-resolver.ts';

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
  const a = await resolve(r, parsedQuery('a.test', 'A'));
  assert.equal(a.result, 'allowed');
  assert.equal(a.ttl, 120);
  assert.deepEqual(a.facts?.addresses, ['192.0.2.1']);
  assert.equal(a.ttlOffsets?.length, 1);
  assert.equal(a.wire.readUInt32BE(a.ttlOffsets![0]), 120);
  assert.equal(decode(a).answers[0].address, '192.0.2.1');

  const aaaa = await resolve(r, parsedQuery('a.test', 'AAAA'));
  assert.deepEqual(aaaa.facts?.addresses, ['2001:db8::1']);
  assert.equal(aaaa.ttl, 90);

  const mx = decode(await resolve(r, parsedQuery('a.test', 'MX')));
  assert.equal(mx.answers[0].exchange, 'mail.a.test');

  const txt = decode(await resolve(r, parsedQuery('A.Test', 'TXT')));
  assert.deepEqual(txt.answers[0].data, ['hello world']);
});

void test('CNAME targets are facts, lower-cased; the OPT record is stripped', async () => {
  const a = await resolve(r, parsedQuery('alias.test', 'A', { edns: { do: true } }));
  assert.deepEqual(a.facts?.targets, ['target.test']);
  assert.deepEqual(a.facts?.addresses, ['192.0.2.7']);
  assert.equal(a.ttl, 50);
  assert.equal(a.wire.readUInt16BE(10), 0, 'ARCOUNT without OPT');
  assert.equal(decode(a).additionals.length, 0);
});

void test('NXDOMAIN is cacheable for min(SOA TTL, SOA MINIMUM)', async () => {
  const a = await resolve(r, parsedQuery('missing.test', 'A'));
  assert.equal(a.result, 'allowed');
  assert.equal(decode(a).rcode, 3);
  assert.equal(a.ttl, 60);
});

void test('a truncated UDP answer is asked again over TCP', async () => {
  const before = up.queries.length;
  const a = await resolve(r, parsedQuery('big.test', 'TXT'));
  assert.equal(decode(a).answers.length, 20);
  const protocols = up.queries.slice(before).map((q) => q.protocol);
  assert.deepEqual(protocols, ['udp', 'tcp']);
});

void test('identical concurrent misses share one upstream query', async () => {
  const before = up.queries.length;
  up.delayMs = 50;
  try {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => resolve(r, parsedQuery('a.test', 'A'))),
    );
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
    const a = await resolve(r6, parsedQuery('six.test', 'AAAA'));
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
    const two = parsedQuery('a.test', 'A');
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

void test('the outgoing query: new ID, RD, CD copied, our OPT (1232, DO copied), no client options', async () => {
  const seen: Buffer[] = [];
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', res));
  sock.on('message', (msg, rinfo) => {
    seen.push(msg);
    sock.send(answer(msg), rinfo.port, rinfo.address);
  });
  const r2 = resolver({
    upstreams: [`udp://127.0.0.1:${(sock.address() as AddressInfo).port}`],
    timeout: '1s',
  });
  try {
    // A client query with CD, DO, a 4096-byte buffer and a cookie option.
    const p = new Packet();
    p.header.id = 0x1111;
    p.header.rd = 0;
    p.questions.push({ name: 'Out.Test', type: 1, class: 1 } as never);
    const client = Buffer.concat([
      p.toBuffer(),
      Buffer.from('00' + '0029' + '1000' + '00008000' + '000c' + '000a0008' + '0102030405060708', 'hex'),
    ]);
    client.writeUInt16BE(1, 10);
    client[3] |= 0x10;
    const q = parseQuery(client, '127.0.0.1', 'udp', 0);
    assert.ok(q !== null && 'packet' in q && q.doBit && q.cd);
    await resolve(r2, q);
    const out = seen[0];
    assert.notEqual(out.readUInt16BE(0), 0x1111);
    assert.equal(out[2] & 0x01, 1, 'RD');
    assert.equal(out[3] & 0x10, 0x10, 'CD');
    assert.equal(out.readUInt16BE(10), 1, 'one additional record: our OPT');
    const opt = out.subarray(q.questionEnd);
    assert.equal(
      opt.toString('hex'),
      '00' + '0029' + '04d0' + '00008000' + '0000',
      'OPT 1232, DO, no options',
    );
    assert.equal(
      out.subarray(12, q.questionEnd).toString('latin1'),
      client.subarray(12, q.questionEnd).toString('latin1'),
    );
  } finally {
    await r2.close();
    sock.close();
  }
});
