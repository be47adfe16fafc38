// What readAnswer extracts for the blocking link from records other than CNAME and A/AAAA (issue 12
// item 7): SVCB/HTTPS TargetName ("." = the owner in ServiceMode, nothing in AliasMode) and hints,
// MX, SRV and NS names, compressed or not; malformed rdata refuses the whole answer. And the ECH
// stripper's refusals: no ech, no rewrite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readAnswer } from '../../../src/dns/wire/answer-facts.ts';
import { stripEch } from '../../../src/dns/ech/strip-ech.ts';
import { wireName, pointer, svcbRdata, ipv4Bytes, ipv6Bytes, u16 } from '../../helpers/fake-upstream/wire.ts';

interface Rec {
  owner?: Buffer;
  type: number;
  rdata: Buffer;
}

/** A response to `qname` with the given answer records (owner default: pointer to the question). */
function message(qname: string, qtype: number, recs: Rec[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(0x8180, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(recs.length, 6);
  const parts = [header, wireName(qname), u16(qtype), u16(1)];
  for (const r of recs) {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(r.type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(300, 4);
    fixed.writeUInt16BE(r.rdata.length, 8);
    parts.push(r.owner ?? pointer(12), fixed, r.rdata);
  }
  return Buffer.concat(parts);
}

void test('SVCB/HTTPS: TargetName, "." as the owner in ServiceMode, nothing in AliasMode, both hints', () => {
  const a = readAnswer(
    message('svc.example', 65, [
      { type: 65, rdata: svcbRdata(1, wireName('Pool.Weixin.QQ.com'), []) },
      {
        type: 65,
        rdata: svcbRdata(2, wireName(''), [
          [1, Buffer.from('\x02h2')],
          [4, Buffer.concat([ipv4Bytes('192.0.2.1'), ipv4Bytes('101.32.118.25')])],
          [6, Buffer.concat([ipv6Bytes('2001:db8::1'), ipv6Bytes('2001:db8:bad::2')])],
        ]),
      },
    ]),
  );
  assert.ok(a);
  assert.deepEqual(a.facts.targets, ['pool.weixin.qq.com', 'svc.example']);
  assert.deepEqual(a.facts.addresses, ['192.0.2.1', '101.32.118.25', '2001:db8::1', '2001:db8:bad::2']);
  const alias = readAnswer(message('svc.example', 64, [{ type: 64, rdata: svcbRdata(0, wireName(''), []) }]));
  assert.deepEqual(alias?.facts.targets, [], 'AliasMode "." means no service, not the owner');
});

void test('MX, SRV and NS names, uncompressed and compressed', () => {
  // Question `mail.test` at 12 (11 bytes); the first record's rdata at 12 + 11 + 4 + 12 = 39.
  const a = readAnswer(
    message('mail.test', 15, [
      { type: 15, rdata: Buffer.concat([u16(10), wireName('mx.qq.com')]) },
      { type: 15, rdata: Buffer.concat([u16(20), Buffer.of(6), Buffer.from('weixin'), pointer(39 + 2 + 3)]) },
      { type: 33, rdata: Buffer.concat([u16(0), u16(5), u16(5222), wireName('xmpp.wechat.com')]) },
      { type: 2, rdata: Buffer.concat([Buffer.of(3), Buffer.from('ns1'), pointer(12 + 5)]) },
    ]),
  );
  assert.ok(a);
  assert.deepEqual(a.facts.targets, ['mx.qq.com', 'weixin.qq.com', 'xmpp.wechat.com', 'ns1.test']);
});

void test('malformed SVCB, MX or SRV rdata refuses the whole answer', () => {
  const bad: Rec[] = [
    { type: 65, rdata: Buffer.concat([u16(1), Buffer.of(6), Buffer.from('wei')]) }, // name runs out
    { type: 65, rdata: svcbRdata(1, wireName(''), [[4, Buffer.of(1, 2, 3)]]) }, // 3-byte ipv4hint
    { type: 65, rdata: Buffer.concat([svcbRdata(1, wireName(''), []), u16(1), u16(9)]) }, // param past end
    { type: 65, rdata: Buffer.concat([u16(1), pointer(500)]) }, // pointer forward
    { type: 15, rdata: u16(10) }, // MX without a name
    { type: 33, rdata: Buffer.concat([u16(0), u16(0), u16(0)]) }, // SRV without a name
  ];
  for (const r of bad)
    assert.equal(readAnswer(message('x.test', r.type, [r])), null, r.rdata.toString('hex'));
});

void test('stripEch: nothing to strip gives null (the answer object is kept as is)', () => {
  const m = message('svc.example', 65, [
    { type: 65, rdata: svcbRdata(1, wireName(''), [[1, Buffer.from('\x02h2')]]) },
  ]);
  assert.equal(stripEch(m, undefined), null);
  const withEch = message('svc.example', 65, [
    {
      type: 65,
      rdata: svcbRdata(1, wireName(''), [
        [5, Buffer.of(1, 2, 3)],
        [6, ipv6Bytes('::1')],
      ]),
    },
  ]);
  const s = stripEch(withEch, Uint16Array.of(35)); // the record's TTL: 12 + 13 + 4 + 2 + 4
  assert.ok(s);
  assert.deepEqual([...(s.ttlOffsets ?? [])], [35], 'before the cut: unmoved');
  assert.equal(s.wire.length, withEch.length - 7);
  assert.equal(readAnswer(s.wire)?.facts.addresses[0], '::1', 'the record still parses, hint intact');
});
