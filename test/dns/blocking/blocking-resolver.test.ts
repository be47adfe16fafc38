// The blocking link alone: block answers for every action and qtype (checked with dns2 as the client
// gets them: the link's wire is shared and question-less, encodeReply adds ID and question), EDE 15,
// CNAME cloaking and answer-IP rules on answers from below (sync and async), and a policy swap
// applying to the next answer without any cache flush.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dns2 from 'dns2';
import { BlockingResolver } from '../../../src/dns/blocking/blocking-resolver.ts';
import type { DnsAnswer, DnsQuery, Resolver } from '../../../src/dns/resolver.ts';
import type { PolicyStore } from '../../../src/policy/store.ts';
import { storeFor, loaded, policyConfig } from '../../policy/policy-helpers.ts';
import { dnsQuery } from '../../helpers/dns-query.ts';
import { encodeReply, TCP_LIMIT } from '../../../src/dns/wire/encode-reply.ts';

const { Packet } = dns2;

/** The reply a client gets for `a` (the front ends' encodeReply), parsed. */
const reply = (q: DnsQuery, a: DnsAnswer) => Packet.parse(encodeReply(q, a, TCP_LIMIT, 0));

function query(name: string, qtype = 1, client = '127.0.0.1'): DnsQuery {
  return dnsQuery(name, qtype, { client, id: 0xabcd, received: 0 });
}

/** Below the link: answers from a table of facts, synchronously or as a promise. */
class Below implements Resolver {
  calls = 0;
  async = false;
  facts: Record<string, DnsAnswer['facts']> = {};
  resolve(q: DnsQuery) {
    this.calls++;
    const wire = Buffer.from(q.packet);
    wire[2] |= 0x80;
    const a: DnsAnswer = { wire, result: 'allowed', facts: this.facts[q.name] };
    return this.async ? Promise.resolve(a) : a;
  }
}

let store: PolicyStore;
let dir: string;
const lists = [
  { name: 'wechat-core', text: 'weixin.qq.com\nip 101.32.118.25\n' },
  {
    name: 'canary',
    app: 'bypass',
    category: 'bypass',
    text: 'use-application-dns.net\n',
    action: 'nxdomain',
  },
  { name: 'nulled', app: 'kaspersky', text: 'null.example\n', action: 'null' },
  { name: 'nodata', app: 'kaspersky', text: 'nodata.example\n', action: 'nodata' },
  { name: 'refused', app: 'kaspersky', text: 'refused.example\n', action: 'refused' },
  {
    name: 'sink',
    app: 'kaspersky',
    text: 'sink.example\n',
    action: { kind: 'sinkhole', addresses: ['192.0.2.80', '2001:db8::80'] },
  },
];
before(async () => {
  ({ store, dir } = await storeFor(lists, { blocking: { ttl: '42s' } }));
});
after(() => store.close());

const blocking = (below = new Below()) => new BlockingResolver(below, store, { ttl: 42_000 } as never);

void test('a blocked name gets NXDOMAIN with a SOA, EDE 15 naming app/category/list, for every qtype', () => {
  const below = new Below();
  const r = blocking(below);
  for (const qtype of [1, 28, 65, 64, 16, 5, 255]) {
    const q = query('long.weixin.qq.com', qtype);
    const a = r.resolve(q) as DnsAnswer;
    assert.equal(a.result, 'blocked');
    assert.deepEqual(a.ede, { code: 15, text: 'blocked: wechat/core by list wechat-core' });
    assert.equal(a.block?.rule.list, 'wechat-core');
    const p = reply(q, a);
    assert.equal(p.header.id, 0xabcd);
    assert.equal(p.header.qr, 1);
    assert.equal(p.header.rcode, 3);
    assert.equal(p.answers.length, 0);
    assert.equal(p.authorities.length, 1);
    assert.equal(p.authorities[0].type, 6);
    assert.equal(p.authorities[0].ttl, 42);
    assert.equal((p.authorities[0] as unknown as { minimum: number }).minimum, 42);
    assert.equal(p.questions[0].name, 'long.weixin.qq.com');
  }
  assert.equal(below.calls, 0, 'blocked names are never forwarded');
});

void test('null, nodata, refused and sinkhole answers', () => {
  const r = blocking();
  const parse = (name: string, qtype: number) => {
    const q = query(name, qtype);
    return reply(q, r.resolve(q) as DnsAnswer);
  };
  let p = parse('null.example', 1);
  assert.equal(p.header.rcode, 0);
  assert.deepEqual(
    p.answers.map((a) => [a.type, (a as unknown as { address: string }).address, a.ttl]),
    [[1, '0.0.0.0', 42]],
  );
  p = parse('null.example', 28);
  assert.equal(p.answers[0].type, 28);
  p = parse('null.example', 65);
  assert.equal(p.answers.length, 0);
  assert.equal(p.authorities[0].type, 6);
  p = parse('nodata.example', 1);
  assert.equal(p.header.rcode, 0);
  assert.equal(p.answers.length, 0);
  assert.equal(p.authorities.length, 1);
  p = parse('refused.example', 1);
  assert.equal(p.header.rcode, 5);
  p = parse('sink.example', 1);
  assert.deepEqual(
    p.answers.map((a) => (a as unknown as { address: string }).address),
    ['192.0.2.80'],
  );
  p = parse('x.sink.example', 28);
  assert.equal(p.answers.length, 1);
  assert.equal(p.answers[0].type, 28);
});

void test('CNAME cloaking and answer IPs are judged on answers from below, sync and async', async () => {
  const below = new Below();
  below.facts['cloak.example'] = { targets: ['x.long.weixin.qq.com'], addresses: ['192.0.2.1'] };
  below.facts['ipcloak.example'] = { targets: [], addresses: ['192.0.2.1', '101.32.118.25'] };
  below.facts['fine.example'] = { targets: ['cdn.example'], addresses: ['192.0.2.1'] };
  const r = blocking(below);
  for (const async of [false, true]) {
    below.async = async;
    const c = await r.resolve(query('cloak.example'));
    assert.equal(c.result, 'blocked');
    assert.equal(c.block?.rule.rule, 'weixin.qq.com');
    assert.equal(reply(query('cloak.example'), c).header.rcode, 3);
    const i = await r.resolve(query('ipcloak.example'));
    assert.equal(i.result, 'blocked');
    assert.equal(i.block?.rule.rule, 'ip 101.32.118.25');
    const f = await r.resolve(query('fine.example'));
    assert.equal(f.result, 'allowed');
  }
});

void test('a policy swap applies to the next answer, cached or not', async () => {
  const below = new Below();
  const r = blocking(below);
  assert.equal((r.resolve(query('later.example')) as DnsAnswer).result, 'allowed');
  await store.load(
    loaded(dir, await policyConfig(dir, [...lists, { name: 'later', text: 'later.example\n' }])),
  );
  assert.equal((r.resolve(query('later.example')) as DnsAnswer).result, 'blocked');
  await store.load(loaded(dir, await policyConfig(dir, lists)));
  assert.equal((r.resolve(query('later.example')) as DnsAnswer).result, 'allowed');
});
