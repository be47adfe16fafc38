// The hand-written wire code: query parsing (drops, FORMERR, NOTIMP, BADVERS, EDNS fields) and the
// one-copy reply encoder (ID, question, TTL patching, OPT with EDE, truncation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dns2 from 'dns2';
import { parseQuery, QueryError } from '../../../src/dns/wire/parse-query.ts';
import { encodeReply, udpLimit, TCP_LIMIT } from '../../../src/dns/wire/encode-reply.ts';
import { refused, servfail, answerForError } from '../../../src/dns/wire/errors.ts';
import type { DnsAnswer, DnsQuery } from '../../../src/dns/resolver.ts';
import { ttlOffsetsOf } from '../../helpers/dns-server.ts';
import { queryPacket } from '../../helpers/dns-query.ts';

const { Packet } = dns2;

function parse(buf: Buffer) {
  return parseQuery(buf, '127.0.0.1', 'udp', 0);
}

function mustQuery(buf: Buffer): DnsQuery {
  const q = parse(buf);
  assert.ok(q !== null && !(q instanceof QueryError), 'expected a query');
  return q;
}

function mustError(buf: Buffer): QueryError {
  const q = parse(buf);
  assert.ok(q instanceof QueryError, 'expected a QueryError');
  return q;
}

/** An upstream-style answer wire (no OPT) with the TTL offsets of its records. */
function answerWire(name: string, records: { type: number; ttl: number; [k: string]: unknown }[], rcode = 0) {
  const p = new Packet();
  p.header.qr = 1;
  p.header.ra = 1;
  p.header.rcode = rcode;
  p.questions.push({ name, type: records[0]?.type ?? 1, class: 1 } as never);
  for (const r of records) p.answers.push({ name, class: 1, ...r } as never);
  const wire = p.toBuffer();
  return { wire, ttlOffsets: ttlOffsetsOf(wire) };
}

void test('parses a plain query: lower-cased name, type, class, RD, no EDNS', () => {
  const q = mustQuery(queryPacket('WWW.Example.TEST', 28, { id: 77 }));
  assert.equal(q.id, 77);
  assert.equal(q.name, 'www.example.test');
  assert.equal(q.qtype, 28);
  assert.equal(q.qclass, 1);
  assert.equal(q.rd, true);
  assert.equal(q.edns, false);
  assert.equal(q.udpSize, 512);
  assert.equal(q.questionEnd, 12 + 18 + 4);
});

void test('the root name parses as the empty string', () => {
  const q = mustQuery(queryPacket('.', 2));
  assert.equal(q.name, '');
});

void test('EDNS: size clamped to >= 512, DO bit, unknown options ignored; a client cookie proves nothing', () => {
  const opts = Buffer.from([0, 99, 0, 2, 1, 2, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
  const q = mustQuery(queryPacket('a.test', 1, { edns: { size: 100, do: true, options: opts } }));
  assert.equal(q.edns, true);
  assert.equal(q.udpSize, 512);
  assert.equal(q.doBit, true);
  assert.equal(q.cookie, false, 'a client cookie alone is no proof of the source address');
  const big = mustQuery(queryPacket('a.test', 1, { edns: { size: 4096 } }));
  assert.equal(big.udpSize, 4096);
  assert.equal(big.cookie, false);
  assert.equal(big.doBit, false);
});

void test('drops what is not a query: short packets and responses', () => {
  assert.equal(parse(Buffer.alloc(11)), null);
  const resp = queryPacket('a.test');
  resp[2] |= 0x80;
  assert.equal(parse(resp), null);
});

void test('NOTIMP for opcodes other than QUERY, FORMERR for QDCOUNT != 1', () => {
  const notify = queryPacket('a.test');
  notify[2] |= 4 << 3;
  assert.equal(mustError(notify).rcode, 4);
  const none = queryPacket('a.test');
  none.writeUInt16BE(0, 4);
  assert.equal(mustError(none).rcode, 1);
  const two = queryPacket('a.test');
  two.writeUInt16BE(2, 4);
  assert.equal(mustError(two).rcode, 1);
});

void test('FORMERR for bad names: pointer in the question, label > 63, name > 255, cut short', () => {
  const ptr = Buffer.concat([queryPacket('a.test').subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
  assert.equal(mustError(ptr).rcode, 1);
  const longLabel = Buffer.concat([
    queryPacket('a.test').subarray(0, 12),
    Buffer.from([64]),
    Buffer.alloc(64, 0x61),
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  assert.equal(mustError(longLabel).rcode, 1);
  const labels = [];
  for (let i = 0; i < 5; i++) labels.push(Buffer.from([60]), Buffer.alloc(60, 0x61));
  const longName = Buffer.concat([
    queryPacket('a.test').subarray(0, 12),
    ...labels,
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  assert.equal(mustError(longName).rcode, 1);
  assert.equal(mustError(queryPacket('a.test').subarray(0, 20)).rcode, 1);
  assert.equal(mustError(queryPacket('a.test').subarray(0, 12 + 8 + 2)).rcode, 1);
});

void test('BADVERS for EDNS version > 0, FORMERR for two OPT records or a broken option', () => {
  const e = mustError(queryPacket('a.test', 1, { edns: { version: 1 } }));
  assert.equal(e.rcode, 16);
  assert.equal(e.query.edns, true);
  assert.equal(e.query.name, 'a.test');
  const one = queryPacket('a.test', 1, { edns: {} });
  const two = Buffer.concat([one, one.subarray(one.length - 11)]);
  two.writeUInt16BE(2, 10);
  assert.equal(mustError(two).rcode, 1);
  const broken = queryPacket('a.test', 1, { edns: { options: Buffer.from([0, 10, 0, 9, 1, 2]) } });
  assert.equal(mustError(broken).rcode, 1);
});

void test('encodes a reply: query ID and question bytes (0x20 case), RD echoed, records copied', () => {
  const q = mustQuery(queryPacket('MiXeD.test', 1, { id: 4242 }));
  const { wire, ttlOffsets } = answerWire('mixed.test', [{ type: 1, ttl: 300, address: '192.0.2.7' }]);
  const out = encodeReply(q, { wire, ttlOffsets, result: 'allowed' }, udpLimit(q, 1232), 0);
  const p = Packet.parse(out);
  assert.equal(p.header.id, 4242);
  assert.equal(p.header.qr, 1);
  assert.equal(p.header.rd, 1);
  assert.equal(p.questions[0].name, 'MiXeD.test');
  assert.equal(p.answers[0].address, '192.0.2.7');
  assert.equal(p.answers[0].ttl, 300);
  assert.equal(p.additionals.length, 0);
  assert.equal(wire.readUInt16BE(0), 0, 'the shared wire is never modified');
});

void test('lowers TTLs by ttlElapsed (never below 0), or sets ttlFixed', () => {
  const q = mustQuery(queryPacket('a.test'));
  const { wire, ttlOffsets } = answerWire('a.test', [
    { type: 1, ttl: 300, address: '192.0.2.1' },
    { type: 1, ttl: 5, address: '192.0.2.2' },
  ]);
  const lowered = Packet.parse(
    encodeReply(q, { wire, ttlOffsets, ttlElapsed: 10, result: 'cached' }, 512, 0),
  );
  assert.deepEqual(
    lowered.answers.map((a: { ttl: number }) => a.ttl),
    [290, 0],
  );
  const fixed = Packet.parse(encodeReply(q, { wire, ttlOffsets, ttlFixed: 30, result: 'stale' }, 512, 0));
  assert.deepEqual(
    fixed.answers.map((a: { ttl: number }) => a.ttl),
    [30, 30],
  );
  assert.equal(wire.readUInt32BE(ttlOffsets[0]), 300, 'the shared wire keeps its TTLs');
});

void test('adds an OPT record when the client sent EDNS: 1232, DO echoed, EDE option', () => {
  const q = mustQuery(queryPacket('a.test', 1, { edns: { do: true } }));
  const out = encodeReply(q, servfail({ code: 22, text: 'no reachable authority' }), udpLimit(q, 1232), 0);
  assert.equal(out[3] & 0x0f, 2);
  assert.equal(out.readUInt16BE(4), 1, 'the question is echoed');
  assert.equal(out.readUInt16BE(10), 1);
  const opt = out.subarray(q.questionEnd);
  assert.equal(opt[0], 0);
  assert.equal(opt.readUInt16BE(1), 41);
  assert.equal(opt.readUInt16BE(3), 1232);
  assert.equal(opt[7] & 0x80, 0x80);
  assert.equal(opt.readUInt16BE(11), 15);
  assert.equal(opt.readUInt16BE(15), 22);
  assert.equal(opt.subarray(17).toString(), 'no reachable authority');
});

void test('BADVERS is rcode 16: 0 in the header, extended rcode 1 in the OPT', () => {
  const e = mustError(queryPacket('a.test', 1, { edns: { version: 1 } }));
  assert.equal(answerForError(e).extendedRcode, 1);
  const out = encodeReply(e.query, answerForError(e), udpLimit(e.query, 1232), 0);
  assert.equal(out[3] & 0x0f, 0);
  const opt = out.subarray(e.query.questionEnd);
  assert.equal(opt.readUInt16BE(1), 41);
  assert.equal(opt[5], 1);
  assert.equal(opt[6], 0, 'we speak version 0');
});

void test('truncates to header, question and OPT with TC when over the limit; TCP takes it whole', () => {
  const q = mustQuery(queryPacket('big.test', 16, { edns: { size: 4096 } }));
  const records = [];
  for (let i = 0; i < 10; i++) records.push({ type: 16, ttl: 60, data: 'x'.repeat(200) });
  const { wire, ttlOffsets } = answerWire('big.test', records);
  const a: DnsAnswer = { wire, ttlOffsets, result: 'allowed' };
  assert.equal(udpLimit(q, 65535), 1232, 'no cookie: capped at 1232 against amplification');
  const cut = encodeReply(q, a, udpLimit(q, 65535), 0);
  assert.equal(cut.length, q.questionEnd + 11);
  assert.equal(cut[2] & 0x02, 0x02);
  assert.equal(cut.readUInt16BE(6), 0);
  assert.equal(cut.readUInt16BE(10), 1);
  const tcp = encodeReply(q, a, TCP_LIMIT, 2);
  assert.equal(tcp.readUInt16BE(0), tcp.length - 2);
  const whole = Packet.parse(tcp.subarray(2));
  assert.equal(whole.answers.length, 10);
  assert.equal(tcp[4] & 0x02, 0);
});

void test('UDP limits: 512 without EDNS, the client size up to 1232 without a valid server cookie', () => {
  assert.equal(udpLimit(mustQuery(queryPacket('a.test')), 65535), 512);
  assert.equal(udpLimit(mustQuery(queryPacket('a.test', 1, { edns: { size: 1000 } })), 65535), 1000);
  // Any option 10 used to lift the cap (issue 12 item 2): a client cookie alone must not.
  const cookie = Buffer.from([0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
  const q = mustQuery(queryPacket('a.test', 1, { edns: { size: 4096, options: cookie } }));
  assert.equal(udpLimit(q, 65535), 1232);
  // dns.maxUdpSize caps every client, proven or not.
  assert.equal(udpLimit({ ...q, cookie: true }, 65535), 4096, 'a proven client gets its size');
  assert.equal(udpLimit({ ...q, cookie: true }, 2048), 2048, 'up to dns.maxUdpSize');
  assert.equal(udpLimit(mustQuery(queryPacket('a.test', 1, { edns: { size: 1000 } })), 800), 800);
});

void test('error answers share their wire and carry EDE and result', () => {
  assert.equal(refused().result, 'refused');
  assert.equal(refused().wire, refused({ code: 18, text: 'x' }).wire);
  assert.equal(refused(), refused(), 'no allocation for a plain refusal');
  assert.equal(refused(undefined, 'ratelimited').result, 'ratelimited');
  const q = mustQuery(queryPacket('a.test'));
  const out = encodeReply(q, refused(), 512, 0);
  assert.equal(out[3] & 0x0f, 5);
  assert.equal(Packet.parse(out).questions[0].name, 'a.test');
});

void test('records of unknown types pass through byte for byte', () => {
  const q = mustQuery(queryPacket('odd.test', 65280));
  const head = Buffer.from([0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
  const question = q.packet.subarray(12, q.questionEnd);
  const rdata = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 0xc0, 0x0c]);
  const rr = Buffer.concat([
    Buffer.from([0xc0, 0x0c, 0xff, 0x00, 0, 1, 0, 0, 0, 60, 0, rdata.length]),
    rdata,
  ]);
  const wire = Buffer.concat([head, question, rr]);
  const out = encodeReply(
    q,
    { wire, ttlOffsets: Uint16Array.of(wire.length - rr.length + 6), result: 'cached', ttlElapsed: 0 },
    512,
    0,
  );
  assert.deepEqual(out.subarray(q.questionEnd), rr);
});

void test('a "." or "\\" inside a label is escaped: the one-label name a.b is not the name a.b', () => {
  // One label "Weixin.QQ" then "com", against the two labels weixin, qq and com.
  const oneLabel = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    Buffer.from([9, ...Buffer.from('Weixin.QQ'), 3, ...Buffer.from('com'), 0, 0, 1, 0, 1]),
  ]);
  assert.equal(mustQuery(oneLabel).name, 'weixin\\.qq.com');
  const backslash = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    Buffer.from([3, ...Buffer.from('a\\b'), 0, 0, 1, 0, 1]),
  ]);
  assert.equal(mustQuery(backslash).name, 'a\\\\b');
  // 4 labels of 63 bytes of '.' (the longest name) still fit the scratch buffer.
  const dots = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...[63, 63, 63, 61].map((n) => Buffer.from([n, ...Buffer.alloc(n, 0x2e)])),
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  assert.equal(mustQuery(dots).name.length, 2 * (63 * 3 + 61) + 3);
});
