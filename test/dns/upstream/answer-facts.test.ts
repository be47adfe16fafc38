// readAnswer and answerMatches on well-formed and hostile upstream answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dns2 from 'dns2';
import { answerMatches, ipv6Text, readAnswer, readName } from '../../../src/dns/wire/answer-facts.ts';

const { Packet } = dns2;

function build(fill: (p: InstanceType<typeof Packet>) => void, rcode = 0): Buffer {
  const p = new Packet();
  p.header.id = 0x4242;
  p.header.qr = 1;
  p.header.rcode = rcode;
  p.questions.push({ name: 'www.example.test', type: 1, class: 1 } as never);
  fill(p);
  return p.toBuffer();
}

/** An answer record (dns2 writes it) of the name the questions ask, unless `name` says otherwise. */
const record = (type: number, ttl: number, data: Record<string, unknown>, name = 'www.example.test') =>
  ({ name, type, class: 1, ttl, ...data }) as never;

const SOA = {
  name: 'example.test',
  type: 6,
  class: 1,
  ttl: 900,
  primary: 'ns.example.test',
  admin: 'h.example.test',
  serial: 1,
  refresh: 1,
  retry: 1,
  expiration: 1,
  minimum: 300,
};

void test('positive answer: min TTL, offsets, CNAME target and addresses; OPT stripped', () => {
  const msg = build((p) => {
    p.answers.push(record(5, 500, { domain: 'CDN.Example.NET' }));
    p.answers.push(record(1, 40, { address: '203.0.113.9' }, 'cdn.example.net'));
    p.answers.push(record(28, 60, { address: '2001:db8:0:0:1:0:0:1' }, 'cdn.example.net'));
    p.additionals.push({ name: '', type: 41, class: 1232, ttl: 0, rdata: [] } as never);
  });
  assert.equal(msg.readUInt16BE(10), 1);
  const a = readAnswer(msg);
  assert.ok(a);
  assert.equal(a.ttl, 40);
  assert.equal(a.rcode, 0);
  assert.deepEqual(a.facts.targets, ['cdn.example.net']);
  assert.deepEqual(a.facts.addresses, ['203.0.113.9', '2001:db8::1:0:0:1']);
  assert.equal(a.wire.length, msg.length - 11);
  assert.equal(a.wire.readUInt16BE(10), 0);
  assert.deepEqual(
    [...a.ttlOffsets].map((o) => a.wire.readUInt32BE(o)),
    [500, 40, 60],
  );
});

void test('NXDOMAIN and NODATA: min(SOA TTL, SOA MINIMUM); no SOA → 0 (do not cache)', () => {
  const nx = readAnswer(build((p) => p.authorities.push(SOA as never), 3));
  assert.equal(nx?.ttl, 300);
  assert.equal(nx?.rcode, 3);
  const nodata = readAnswer(build((p) => p.authorities.push({ ...SOA, ttl: 120 } as never)));
  assert.equal(nodata?.ttl, 120);
  assert.equal(readAnswer(build(() => {}, 3))?.ttl, 0);
  assert.equal(readAnswer(build(() => {}, 2))?.ttl, 0, 'SERVFAIL is never cacheable');
});

void test('hostile input: truncation, pointer loops, forward pointers, lying counts → null, never a throw', () => {
  const good = build((p) => {
    p.answers.push(record(5, 5, { domain: 'a.example.test' }));
  });
  for (let cut = 0; cut < good.length; cut++) {
    const a = readAnswer(good.subarray(0, cut));
    if (a !== null) assert.ok(cut >= 12);
  }
  // The CNAME target's last two bytes become a pointer to themselves.
  const loop = Buffer.from(good);
  const rdata = loop.length - 2;
  loop.writeUInt16BE(0xc000 | rdata, rdata);
  assert.equal(readAnswer(loop), null);
  assert.equal(readName(loop, rdata), null);
  // A forward pointer.
  const fwd = Buffer.from(good);
  fwd.writeUInt16BE(0xc000 | (fwd.length - 1), fwd.length - 2);
  assert.equal(readAnswer(fwd), null);
  // ANCOUNT claims more records than there are.
  const lying = Buffer.from(good);
  lying.writeUInt16BE(50, 6);
  assert.equal(readAnswer(lying), null);
  // Random bytes: any result, but no exception.
  for (let i = 0; i < 2000; i++) readAnswer(randomBytes(12 + (i % 200)));
});

void test('answerMatches: QR, one question, same name case-insensitively, same type and class', () => {
  const query = Buffer.from(build(() => {}));
  query[2] &= 0x7f;
  const upper = Buffer.from(build(() => {}));
  upper.write('WwW', 13, 'latin1');
  assert.ok(answerMatches(upper, query, query.length));
  const noQr = Buffer.from(upper);
  noQr[2] &= 0x7f;
  assert.ok(!answerMatches(noQr, query, query.length));
  const otherType = Buffer.from(upper);
  otherType.writeUInt16BE(28, query.length - 4);
  assert.ok(!answerMatches(otherType, query, query.length));
  assert.ok(!answerMatches(upper.subarray(0, 20), query, query.length));
});

void test('ipv6Text writes RFC 5952 text', () => {
  const t = (hex: string) => ipv6Text(Buffer.from(hex, 'hex'), 0);
  assert.equal(t('00000000000000000000000000000001'), '::1');
  assert.equal(t('00000000000000000000000000000000'), '::');
  assert.equal(t('20010db8000000000000000000000000'), '2001:db8::');
  assert.equal(t('20010db8000100000001000000000001'), '2001:db8:1:0:1::1');
  assert.equal(t('20010db8000000010000000000000001'), '2001:db8:0:1::1');
});
