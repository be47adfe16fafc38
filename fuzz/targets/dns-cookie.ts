// Fuzz target: the COOKIE option (RFC 7873/9018) of a client's query. Input: byte 0 picks the client
// address (IPv4 or IPv6), byte 1 a position, the rest is the option's data, placed in a real query.
// Invariants: parsing never throws; a length RFC 7873 §5.2.2 forbids is FORMERR; no input but the
// server cookie banwall issued to that address proves it (lifts the 1232-byte cap); the reply echoes
// the client cookie with a 16-byte version-1 server cookie that proves the address on the next query,
// and fails from another address or with any byte of it changed.
import assert from 'node:assert/strict';
import { parseQuery, QueryError } from '../../src/dns/wire/parse-query.ts';
import { encodeReply, udpLimit } from '../../src/dns/wire/encode-reply.ts';
import { ServerCookies, cookieLengthValid } from '../../src/dns/wire/server-cookie.ts';
import { refused } from '../../src/dns/wire/errors.ts';

const KEY = Buffer.from('e5e973e5a6b2a43f48e7dc849e37bfcf', 'hex');
const cookies = new ServerCookies({ keyAt: () => KEY, now: () => 1_800_000_000 });
const ADDRESSES = ['192.0.2.1', '2001:db8::1', '127.0.0.1', '::1'];
// a.test A, RD, with one OPT record (size 4096) whose RDATA is one COOKIE option.
const HEAD = Buffer.from(
  '424201000001000000000001016104746573740000010001' + '0000290fa0000000000000',
  'hex',
);

function query(data: Buffer): Buffer {
  const q = Buffer.concat([HEAD, Buffer.from([0, 10, data.length >> 8, data.length & 0xff]), data]);
  q.writeUInt16BE(4 + data.length, HEAD.length - 2);
  return q;
}

export function fuzz(input: Buffer): void {
  if (input.length < 2) return;
  const client = ADDRESSES[input[0] & 3];
  const other = ADDRESSES[(input[0] + 1) & 3];
  const data = input.subarray(2, 2 + 300);
  const parsed = parseQuery(query(data), client, 'udp', 0, cookies);
  if (!cookieLengthValid(data.length)) {
    assert.ok(parsed instanceof QueryError && parsed.rcode === 1, `length ${data.length}: FORMERR`);
    return;
  }
  assert.ok(parsed !== null && !(parsed instanceof QueryError), 'a valid length parses');
  assert.equal(parsed.cookie, false, 'no fuzzed cookie proves an address');
  assert.equal(udpLimit(parsed, 65535), 1232, 'capped');
  const issued = parsed.cookieReply;
  assert.ok(issued instanceof Buffer && issued.length === 24);
  assert.ok(issued.subarray(0, 8).equals(data.subarray(0, 8)), 'client cookie echoed');
  assert.equal(issued[8], 1, 'version 1');

  // The reply carries it in its OPT record, truncated or not.
  const reply = encodeReply(parsed, refused(), udpLimit(parsed, 65535), 0);
  assert.ok(reply.subarray(reply.length - 24).equals(issued), 'COOKIE option is the last thing in the reply');

  const back = parseQuery(query(issued), client, 'udp', 0, cookies);
  assert.ok(
    back !== null && !(back instanceof QueryError) && back.cookie,
    'the issued cookie proves the address',
  );
  const elsewhere = parseQuery(query(issued), other, 'udp', 0, cookies);
  assert.ok(
    elsewhere !== null && !(elsewhere instanceof QueryError) && !elsewhere.cookie,
    'not from another',
  );
  const altered = Buffer.from(issued);
  altered[8 + (input[1] % 16)] ^= 1 << (input[1] >> 5);
  const changed = parseQuery(query(altered), client, 'udp', 0, cookies);
  assert.ok(changed !== null && !(changed instanceof QueryError) && !changed.cookie, 'not once altered');
}
