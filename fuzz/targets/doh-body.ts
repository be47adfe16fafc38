// Fuzz target: a DoH request body (POST application/dns-message, or the decoded GET `dns` parameter)
// → the encrypted front ends' exchange → a reply. Invariants: never throws; the sink is called exactly
// once, synchronously for a synchronous chain; a reply keeps the query's ID.
import assert from 'node:assert/strict';
import { exchange } from '../../src/dns/encrypted/exchange.ts';
import type { DnsAnswer, DnsQuery, Resolver } from '../../src/dns/resolver.ts';

/** Answers every query with its own question and one A record, plus an EDE (exercises the OPT path). */
const resolver: Resolver = {
  resolve(query: DnsQuery): DnsAnswer {
    const rr = Buffer.from('c00c000100010000003c0004c0000201', 'hex');
    const wire = Buffer.concat([query.packet.subarray(0, query.questionEnd), rr]);
    wire.writeUInt16BE(0x8180, 2);
    wire.writeUInt16BE(1, 6);
    wire.writeUInt32BE(0, 8);
    return {
      wire,
      result: 'allowed',
      ttlOffsets: Uint16Array.of(query.questionEnd + 6),
      ede: { code: 0, text: 'x' },
    };
  },
};

export function fuzz(data: Buffer): void {
  for (const body of [data, Buffer.from(data.toString('latin1'), 'base64url')]) {
    let calls = 0;
    exchange(resolver, null, body, '127.0.0.1', 'doh', 0, (reply: Buffer | null) => {
      calls++;
      if (reply !== null) {
        assert.ok(reply.length >= 12);
        assert.equal(reply.readUInt16BE(0), body.readUInt16BE(0), 'reply keeps the query ID');
      }
    });
    assert.equal(calls, 1, 'sink called exactly once');
  }
}
