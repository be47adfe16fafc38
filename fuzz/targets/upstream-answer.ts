// Fuzz target: an upstream's answer bytes → readAnswer (the slow path of every cache miss, and of DoH
// upstream response bodies) → the reply a client would get from that answer, as a cache hit.
// Invariants: never throws; every TTL offset lies inside the wire; the reply respects the limit.
// The ECH stripper (dns.stripECH) reads the same bytes: it never throws, and what it returns is
// still an answer readAnswer accepts, with the same facts and its TTL offsets inside the wire.
import assert from 'node:assert/strict';
import { answerMatches, readAnswer } from '../../src/dns/wire/answer-facts.ts';
import { parseQuery } from '../../src/dns/wire/parse-query.ts';
import { encodeReply } from '../../src/dns/wire/encode-reply.ts';
import { stripEch } from '../../src/dns/ech/strip-ech.ts';

// A client query for a.test A with EDNS (4096) and no cookie.
const QUERY_BYTES = Buffer.from(
  'abcd01000001000000000001016104746573740000010001' + '0000291000000000000000',
  'hex',
);
const QUERY = parseQuery(QUERY_BYTES, '127.0.0.1', 'udp', 0);

export function fuzz(data: Buffer): void {
  answerMatches(data, QUERY_BYTES, 24);
  const answer = readAnswer(data);
  if (answer === null) return;
  for (const off of answer.ttlOffsets) assert.ok(off + 4 <= answer.wire.length, 'TTL offset out of bounds');
  assert.ok(answer.ttl >= 0 && Number.isFinite(answer.ttl));
  for (const t of answer.facts.targets) assert.equal(typeof t, 'string');
  for (const a of answer.facts.addresses) assert.equal(typeof a, 'string');
  const stripped = stripEch(answer.wire, answer.ttlOffsets);
  if (stripped !== null) {
    const again = readAnswer(stripped.wire);
    assert.ok(again !== null, 'a stripped answer no longer parses');
    assert.deepEqual(again.facts, answer.facts, 'stripping changed the facts');
    for (const off of stripped.ttlOffsets ?? []) assert.ok(off + 4 <= stripped.wire.length);
  }
  if (QUERY === null || !('name' in QUERY)) throw new Error('seed query does not parse');
  const reply = encodeReply(
    QUERY,
    { wire: answer.wire, result: 'cached', ttlOffsets: answer.ttlOffsets, ttlElapsed: 3 },
    1232,
    0,
  );
  assert.ok(reply.length <= 1232 || reply.length === QUERY.questionEnd + 11, 'reply over the UDP limit');
}
