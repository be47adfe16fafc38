// Fuzz target: a client's query bytes → parseQuery → the reply written for it (the UDP/TCP front end
// path). Invariants: parsing never throws; a parsed query stays inside the packet; the reply never
// exceeds the client's UDP limit (the amplification cap) and keeps the query's ID.
import assert from 'node:assert/strict';
import { parseQuery, QueryError } from '../../src/dns/wire/parse-query.ts';
import { answerForError } from '../../src/dns/wire/errors.ts';
import { encodeReply, udpLimit } from '../../src/dns/wire/encode-reply.ts';
import type { DnsAnswer } from '../../src/dns/resolver.ts';
import { ServerCookies } from '../../src/dns/wire/server-cookie.ts';

// Cookies on, as the server runs: random COOKIE options must never prove an address.
const COOKIES = new ServerCookies({ keyAt: () => Buffer.alloc(16, 1), now: () => 1_800_000_000 });

// A large answer (header + question of a.test A, then 80 A records) so truncation is exercised.
const BIG = ((): Buffer => {
  const head = Buffer.from('0000818000010050000000000161047465737400000100 01'.replace(/ /g, ''), 'hex');
  const rr = Buffer.from('c00c00010001000001000004c0000201', 'hex');
  return Buffer.concat([head, ...Array.from({ length: 80 }, () => rr)]);
})();
const OFFSETS = Uint16Array.from({ length: 80 }, (_, i) => 24 + i * 16 + 6);
const ANSWER: DnsAnswer = {
  wire: BIG,
  result: 'allowed',
  ttlOffsets: OFFSETS,
  ttlElapsed: 7,
  ede: { code: 3, text: 'stale' },
};

export function fuzz(data: Buffer): void {
  const parsed = parseQuery(data, '127.0.0.1', 'udp', 0, COOKIES);
  if (parsed === null) return;
  if (parsed instanceof QueryError) {
    // FORMERR, NOTIMP, BADVERS, or NOERROR with a cookie for a question-less query (RFC 7873 §5.4).
    const reply = encodeReply(parsed.query, answerForError(parsed), udpLimit(parsed.query, 65535), 0);
    assert.ok(reply.length <= 1232, 'an error reply is small');
    assert.equal(reply.readUInt16BE(0), data.readUInt16BE(0), 'reply keeps the query ID');
    return;
  }
  assert.ok(parsed.questionEnd > 12 && parsed.questionEnd <= data.length);
  // 253 characters, or up to twice that when labels hold escaped '.' or '\\' bytes.
  assert.ok(parsed.name.length <= 506, 'name too long');
  // DNS names compare case-insensitively in ASCII only (RFC 4343): no A-Z may remain.
  assert.ok(!/[A-Z]/.test(parsed.name), 'name lower-cased');
  assert.ok(parsed.udpSize >= 512 && parsed.udpSize <= 65535);
  const limit = udpLimit(parsed, 65535);
  assert.equal(parsed.cookie, false, 'no fuzzed packet carries a server cookie we issued');
  assert.ok(limit <= 1232, 'no amplification without a valid server cookie');
  const reply = encodeReply(parsed, ANSWER, limit, 0);
  assert.ok(reply.length <= Math.max(limit, parsed.questionEnd + 64), `reply ${reply.length} > ${limit}`);
  assert.equal(reply.readUInt16BE(0), data.readUInt16BE(0), 'reply keeps the query ID');
  const tcp = encodeReply(parsed, ANSWER, 65535, 2);
  assert.equal(tcp.readUInt16BE(0), tcp.length - 2, 'TCP length prefix');
}
