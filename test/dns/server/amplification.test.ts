// A large answer to a UDP client without a valid DNS server cookie is truncated (TC) at 1232 bytes with
// EDNS and at 512 without, so a spoofed source address cannot turn banwall into an amplifier; TCP gets
// it whole. Only a server cookie banwall issued to that address lifts the cap (issue 12 item 2: any
// COOKIE option used to), and then only up to dns.maxUdpSize.
import { describe, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { banwallSuite } from '../../helpers/banwall-suite.ts';
import { dig, kdig, NO_DIG_KDIG } from '../../helpers/dig.ts';

const size = (raw: string) => Number(/MSG SIZE\s+rcvd: (\d+)/.exec(raw)?.[1]);
const TXT = Array.from({ length: 40 }, (_, i) => ({
  type: 'TXT' as const,
  data: `record ${i} ${'x'.repeat(60)}`,
}));

void describe('amplification cap', { skip: NO_DIG_KDIG }, () => {
  const suite = banwallSuite({ upstream: { zone: { 'big.test': TXT } } });
  before(async () => {
    // Warm the cache over TCP, so every UDP ask below is answered from the same ~3 KB answer.
    const full = await dig(suite.bw.dnsPort, 'big.test', 'TXT', ['+tcp']);
    assert.equal(full.answers.length, 40);
    assert.ok(size(full.raw) > 2500, `answer is large (${size(full.raw)} bytes)`);
  });

  void it('caps an EDNS client without a cookie at 1232 bytes, TC set', async () => {
    const r = await dig(suite.bw.dnsPort, 'big.test', 'TXT', ['+bufsize=4096', '+nocookie', '+ignore']);
    assert.ok(r.flags.includes('tc'), `TC set: ${r.flags.join(' ')}`);
    assert.ok(size(r.raw) <= 1232, `reply ${size(r.raw)} bytes`);
  });

  void it('caps a client without EDNS at 512 bytes, TC set', async () => {
    const r = await dig(suite.bw.dnsPort, 'big.test', 'TXT', ['+noedns', '+ignore']);
    assert.ok(r.flags.includes('tc'));
    assert.ok(size(r.raw) <= 512, `reply ${size(r.raw)} bytes`);
  });

  void it('the 152x attack of issue 12: kdig +bufsize=65535 +cookie gets a capped answer', async () => {
    const r = await kdig(suite.bw.dnsPort, [
      '+bufsize=65535',
      '+cookie',
      '+notcp',
      '+ignore',
      'big.test',
      'TXT',
    ]);
    assert.ok(r.flags.includes('tc'), `TC set: ${r.flags.join(' ')}`);
    assert.ok(r.size <= 1232, `reply ${r.size} bytes`);
  });

  void it('with dns.maxUdpSize at its default, even a valid server cookie gets at most 1232 bytes', async () => {
    const first = await kdig(suite.bw.dnsPort, ['+cookie', '+notcp', '+ignore', 'big.test', 'TXT']);
    assert.equal(first.cookie?.length, 48, `a server cookie is issued: ${first.cookie}`);
    const r = await kdig(suite.bw.dnsPort, [
      '+bufsize=4096',
      `+cookie=${first.cookie}`,
      '+notcp',
      '+ignore',
      'big.test',
      'TXT',
    ]);
    assert.ok(r.flags.includes('tc') && r.size <= 1232, `reply ${r.size} bytes, ${r.flags.join(' ')}`);
  });

  void it('honours a smaller EDNS size than 1232', async () => {
    const r = await dig(suite.bw.dnsPort, 'big.test', 'TXT', ['+bufsize=800', '+nocookie', '+ignore']);
    assert.ok(r.flags.includes('tc'));
    assert.ok(size(r.raw) <= 800, `reply ${size(r.raw)} bytes`);
  });
});

void describe('DNS cookies (RFC 7873/9018) with dns.maxUdpSize: 65535', { skip: NO_DIG_KDIG }, () => {
  const suite = banwallSuite({
    upstream: { zone: { 'big.test': TXT } },
    config: { dns: { maxUdpSize: 65535 } },
  });
  // +nobadcookie: show the BADCOOKIE reply itself instead of kdig's automatic retry with the cookie.
  const bigUdp = ['+bufsize=65535', '+notcp', '+ignore', '+nobadcookie', 'big.test', 'TXT'];
  before(async () => {
    await dig(suite.bw.dnsPort, 'big.test', 'TXT', ['+tcp']);
  });

  void it('a client cookie alone (the 152x attack) gets a small BADCOOKIE that teaches a server cookie', async () => {
    const r = await kdig(suite.bw.dnsPort, ['+cookie', ...bigUdp]);
    assert.equal(r.status, 'BADCOOKIE');
    assert.equal(r.answers, 0);
    assert.ok(r.size <= 100, `reply ${r.size} bytes`);
    assert.equal(r.cookie?.length, 48, 'client cookie (8) + RFC 9018 server cookie (16)');
    assert.equal(r.cookie?.slice(16, 18), '01', 'server cookie version 1');
  });

  void it('kdig retries with that cookie by itself (RFC 7873 §5.3) and gets the whole answer over UDP', async () => {
    const r = await kdig(suite.bw.dnsPort, [
      '+cookie',
      '+badcookie',
      ...bigUdp.filter((a) => a !== '+nobadcookie'),
    ]);
    assert.match(r.raw, /status: BADCOOKIE/, 'first a BADCOOKIE');
    assert.equal(r.status, 'NOERROR');
    assert.equal(r.answers, 40);
    assert.ok(!r.flags.includes('tc'), `no TC, no TCP fallback: ${r.flags.join(' ')}`);
  });

  void it('dig, with or without +badcookie, ends with the whole answer (a BADCOOKIE costs it no more than TC)', async () => {
    for (const extra of [['+badcookie'], []]) {
      const r = await dig(suite.bw.dnsPort, 'big.test', 'TXT', ['+bufsize=65535', '+cookie', ...extra]);
      assert.equal(r.status, 'NOERROR', extra.join(' '));
      assert.equal(r.answers.length, 40, extra.join(' '));
    }
  });

  void it('a client without cookies is capped at 1232 bytes with TC, whatever dns.maxUdpSize says', async () => {
    const r = await kdig(suite.bw.dnsPort, ['+nocookie', ...bigUdp]);
    assert.ok(r.flags.includes('tc') && r.size <= 1232, `reply ${r.size} bytes, ${r.flags.join(' ')}`);
  });

  void it('the server cookie it was given lifts the cap: the whole answer over UDP', async () => {
    const first = await kdig(suite.bw.dnsPort, ['+cookie', ...bigUdp]);
    const r = await kdig(suite.bw.dnsPort, [`+cookie=${first.cookie}`, ...bigUdp]);
    assert.ok(!r.flags.includes('tc'), `no TC: ${r.flags.join(' ')}`);
    assert.equal(r.answers, 40);
    assert.ok(r.size > 2500, `reply ${r.size} bytes`);
    assert.equal(r.cookie?.slice(0, 16), first.cookie?.slice(0, 16), 'the client cookie is echoed');
  });

  void it('a forged, altered or replayed server cookie is no cookie: BADCOOKIE again', async () => {
    const first = await kdig(suite.bw.dnsPort, ['+cookie', ...bigUdp]);
    const good = first.cookie!;
    const flipped = good.slice(0, 47) + (good[47] === '0' ? '1' : '0');
    const forged = good.slice(0, 16) + '01000000' + good.slice(24, 32) + '0011223344556677';
    for (const [what, cookie, from] of [
      ['one bit of the hash', flipped, '127.0.0.1'],
      ['a made-up hash', forged, '127.0.0.1'],
      ['replayed from another address', good, '127.0.0.2'],
    ]) {
      const r = await kdig(suite.bw.dnsPort, ['-b', from, `+cookie=${cookie}`, ...bigUdp]);
      assert.equal(r.status, 'BADCOOKIE', what);
      assert.ok(r.answers === 0 && r.size <= 100, `${what}: ${r.size} bytes`);
      assert.equal(r.cookie?.length, 48, `${what}: a fresh server cookie is issued`);
    }
  });

  void it('a COOKIE option of a forbidden length is FORMERR (RFC 7873 §5.2.2)', async () => {
    for (const data of ['01020304050607', '010203040506070809', '0102030405060708' + '00'.repeat(33)]) {
      const r = await kdig(suite.bw.dnsPort, ['+nocookie', `+ednsopt=10:${data}`, ...bigUdp]);
      assert.equal(r.status, 'FORMERR', `${data.length / 2} bytes`);
    }
  });

  void it('a query with no question asks for a server cookie (RFC 7873 §5.4): dig +header-only', async () => {
    const r = await dig(suite.bw.dnsPort, '.', 'NS', ['+header-only', '+cookie']);
    assert.equal(r.status, 'NOERROR');
    assert.match(r.raw, /COOKIE: [0-9a-f]{48} \(good\)/, 'dig checks the server cookie');
    const none = await dig(suite.bw.dnsPort, '.', 'NS', ['+header-only', '+nocookie']);
    assert.equal(none.status, 'FORMERR', 'without a cookie, no question is still FORMERR');
  });

  void it('over TCP a cookie is echoed with a server cookie too', async () => {
    const r = await kdig(suite.bw.dnsPort, ['+tcp', '+cookie', 'big.test', 'TXT']);
    assert.equal(r.answers, 40);
    assert.equal(r.cookie?.length, 48);
  });
});
