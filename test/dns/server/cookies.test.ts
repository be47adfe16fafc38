// DNS Cookies in process: SipHash-2-4 against its reference vectors, the RFC 9018 server cookie
// against the RFC's Appendix A, the validity window, key rotation, the parser's FORMERR for bad
// lengths, and the COOKIE option in the reply. The end-to-end tests with kdig are in
// test/dns/server/amplification.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { siphash24 } from '../../../src/dns/wire/siphash.ts';
import { ServerCookies, type CookieKeys } from '../../../src/dns/wire/server-cookie.ts';
import { CookieSecrets } from '../../../src/dns/server/cookie-secrets.ts';
import { parseQuery, QueryError } from '../../../src/dns/wire/parse-query.ts';
import { encodeReply, udpLimit } from '../../../src/dns/wire/encode-reply.ts';
import { refused } from '../../../src/dns/wire/errors.ts';
import { queryPacket } from '../../helpers/dns-query.ts';

const hex = (s: string) => Buffer.from(s, 'hex');

void test('SipHash-2-4 matches the reference vectors (key 00..0f, message 00..n-1)', () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const out = Buffer.alloc(8);
  const want: Record<number, string> = {
    0: '310e0edd47db6f72',
    7: '37d1018bf50002ab',
    8: '6224939a79f5f593',
    15: 'e545be4961ca29a1',
    63: '724506eb4c328a95',
  };
  for (const [n, digest] of Object.entries(want)) {
    const msg = Uint8Array.from({ length: Number(n) }, (_, i) => i);
    siphash24(key, msg, 0, msg.length, out, 0);
    assert.equal(out.toString('hex'), digest, `${n} bytes`);
  }
  // An offset into a larger buffer hashes the same bytes.
  const shifted = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 99 : i - 1));
  siphash24(key, shifted, 1, 16, out, 0);
  assert.equal(out.toString('hex'), 'e545be4961ca29a1');
});

/** A fixed key source: `keyAt` picks by timestamp, `now` is settable. */
function keys(pick: (ts: number) => string, now: number): CookieKeys & { at: number } {
  return {
    at: now,
    keyAt: (ts) => hex(pick(ts)),
    now() {
      return this.at;
    },
  };
}

const SECRET = 'e5e973e5a6b2a43f48e7dc849e37bfcf';

void test('RFC 9018 A.1/A.2: a new server cookie, then the same client renewing it 40 minutes later', () => {
  const k = keys(() => SECRET, 1559731985);
  const cookies = new ServerCookies(k);
  const first = hex('2464c4abcf10c957');
  assert.equal(
    cookies.reply(first, 0, '198.51.100.100')!.toString('hex'),
    '2464c4abcf10c957010000005cf79f111f8130c3eee29480',
  );
  k.at = 1559734385;
  const second = hex('2464c4abcf10c957010000005cf79f111f8130c3eee29480');
  assert.equal(cookies.verify(second, 0, 24, '198.51.100.100'), true, 'valid after 40 min');
  assert.equal(cookies.verify(second, 0, 24, '198.51.100.101'), false, 'from another address');
  assert.equal(
    cookies.reply(second, 0, '198.51.100.100')!.toString('hex'),
    '2464c4abcf10c957010000005cf7a871d4a564a1442aca77',
  );
});

void test('RFC 9018 A.3: reserved bytes as sent are hashed; older than 1 hour is invalid', () => {
  const k = keys(() => SECRET, 1559727985 + 10);
  const cookies = new ServerCookies(k);
  const sent = hex('fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5');
  assert.equal(cookies.verify(sent, 0, 24, '203.0.113.203'), true, 'hash over the reserved bytes as sent');
  k.at = 1559734700; // 1 h 52 min later: the RFC's server issues a new one
  assert.equal(cookies.verify(sent, 0, 24, '203.0.113.203'), false, 'too old');
  assert.equal(
    cookies.reply(sent, 0, '203.0.113.203')!.toString('hex'),
    'fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e',
  );
});

void test('RFC 9018 A.4: IPv6, a cookie made with the previous secret is accepted after the rollover', () => {
  const OLD = 'dd3bdf9344b678b185a6f5cb60fca715';
  const NEW = '445536bcd2513298075a5d379663c962';
  const k = keys((ts) => (ts < 1559741900 ? OLD : NEW), 1559741961);
  const cookies = new ServerCookies(k);
  const ip = '2001:db8:220:1:59de:d0f4:8769:82b8';
  const sent = hex('22681ab97d52c298010000005cf7c57926556bd0934c72f8');
  assert.equal(cookies.verify(sent, 0, 24, ip), true);
  assert.equal(
    cookies.reply(sent, 0, ip)!.toString('hex'),
    '22681ab97d52c298010000005cf7c609a6bb79d16625507a',
  );
});

void test('the window: 1 hour back, 5 minutes ahead; other versions and lengths are not ours', () => {
  const k = keys(() => SECRET, 2_000_000_000);
  const cookies = new ServerCookies(k);
  const made = cookies.reply(hex('0102030405060708'), 0, '192.0.2.1')!;
  for (const [dt, ok] of [
    [0, true],
    [3600, true],
    [3601, false],
    [-300, true],
    [-301, false],
  ] as const) {
    k.at = 2_000_000_000 + dt;
    assert.equal(cookies.verify(made, 0, 24, '192.0.2.1'), ok, `checked ${dt} s after issue`);
  }
  k.at = 2_000_000_000;
  const v2 = Buffer.from(made);
  v2[8] = 2;
  assert.equal(cookies.verify(v2, 0, 24, '192.0.2.1'), false, 'version 2');
  const flipped = Buffer.from(made);
  flipped[23] ^= 1;
  assert.equal(cookies.verify(flipped, 0, 24, '192.0.2.1'), false, 'one bit of the hash');
  assert.equal(cookies.verify(Buffer.concat([made, Buffer.alloc(8)]), 0, 32, '192.0.2.1'), false);
});

void test('CookieSecrets: one key per rotation period, the previous period still verifies', () => {
  let now = 1_700_000_000;
  const secrets = new CookieSecrets(Buffer.alloc(32, 7), 3_600_000, () => now);
  const cookies = new ServerCookies(secrets);
  assert.deepEqual(secrets.keyAt(now), secrets.keyAt(now - (now % 3600) + 3599));
  assert.notDeepEqual(secrets.keyAt(now), secrets.keyAt(now + 3600));
  assert.notDeepEqual(secrets.keyAt(now), new CookieSecrets(Buffer.alloc(32, 8), 3_600_000).keyAt(now));
  // Issued 10 s before a rotation, checked 50 min into the next period.
  now = 1_700_000_000 - (1_700_000_000 % 3600) + 3590;
  const made = cookies.reply(hex('0102030405060708'), 0, '::1')!;
  now += 3000;
  assert.equal(cookies.verify(made, 0, 24, '::1'), true, 'rollover: previous key accepted');
  // Another process with the same master secret (a worker, an anycast sibling) agrees.
  const sibling = new ServerCookies(new CookieSecrets(Buffer.alloc(32, 7), 3_600_000, () => now));
  assert.equal(sibling.verify(made, 0, 24, '::1'), true);
});

function withCookie(data: Buffer): Buffer {
  const opt = Buffer.concat([Buffer.from([0, 10, data.length >> 8, data.length & 255]), data]);
  return queryPacket('a.test', 1, { edns: { size: 4096, options: opt } });
}

void test('parser: COOKIE lengths other than 8 or 16-40 are FORMERR, as is a second COOKIE', () => {
  const cookies = new ServerCookies(keys(() => SECRET, 2_000_000_000));
  for (const len of [0, 1, 7, 9, 15, 41, 64]) {
    const r = parseQuery(withCookie(Buffer.alloc(len, 1)), '127.0.0.1', 'udp', 0, cookies);
    assert.ok(r instanceof QueryError && r.rcode === 1, `length ${len}`);
  }
  for (const len of [8, 16, 24, 40]) {
    const r = parseQuery(withCookie(Buffer.alloc(len, 1)), '127.0.0.1', 'udp', 0, cookies);
    assert.ok(r !== null && !(r instanceof QueryError), `length ${len}`);
    assert.equal(r.cookie, false, 'not a server cookie of ours');
  }
  const two = Buffer.concat([Buffer.from([0, 10, 0, 8]), Buffer.alloc(8, 1)]);
  const r = parseQuery(
    queryPacket('a.test', 1, { edns: { size: 4096, options: Buffer.concat([two, two]) } }),
    '127.0.0.1',
    'udp',
    0,
    cookies,
  );
  assert.ok(r instanceof QueryError && r.rcode === 1, 'two COOKIE options');
});

void test('a valid server cookie lifts the cap; the reply echoes the client cookie with a fresh server cookie', () => {
  const k = keys(() => SECRET, 2_000_000_000);
  const cookies = new ServerCookies(k);
  const first = parseQuery(withCookie(hex('0102030405060708')), '127.0.0.1', 'udp', 0, cookies);
  assert.ok(first !== null && !(first instanceof QueryError));
  assert.equal(first.cookie, false);
  assert.equal(udpLimit(first, 65535), 1232, 'a client cookie alone: capped');
  const reply = encodeReply(first, refused(), udpLimit(first, 65535), 0);
  const opt = reply.subarray(first.questionEnd);
  assert.equal(opt.readUInt16BE(9), 28, 'OPT RDLEN: one COOKIE option');
  assert.equal(opt.readUInt16BE(11), 10);
  assert.equal(opt.readUInt16BE(13), 24);
  const echoed = opt.subarray(15, 39);
  assert.equal(echoed.subarray(0, 8).toString('hex'), '0102030405060708');
  k.at += 60;
  const second = parseQuery(withCookie(Buffer.from(echoed)), '127.0.0.1', 'udp', 0, cookies);
  assert.ok(second !== null && !(second instanceof QueryError));
  assert.equal(second.cookie, true, 'our server cookie, from the same address');
  assert.equal(udpLimit(second, 65535), 4096);
  assert.equal(udpLimit(second, 1232), 1232, 'still within dns.maxUdpSize');
  const elsewhere = parseQuery(withCookie(Buffer.from(echoed)), '127.0.0.2', 'udp', 0, cookies);
  assert.ok(elsewhere !== null && !(elsewhere instanceof QueryError));
  assert.equal(elsewhere.cookie, false, 'replayed from another address');
  const off = parseQuery(withCookie(Buffer.from(echoed)), '127.0.0.1', 'udp', 0, null);
  assert.ok(off !== null && !(off instanceof QueryError));
  assert.equal(off.cookie, false, 'cookies off: nothing is proven');
  assert.equal(off.cookieReply, null);
});
