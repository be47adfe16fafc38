// An in-process Resolver for front-end tests: answers `<n>.a.test` A 192.0.2.<n> with TTL 300, and
// NXDOMAIN otherwise; `slow.test` answers after 300 ms (to show pipelined answers come out of order).
import type { DnsAnswer, DnsQuery, Resolver } from '../../../src/dns/resolver.ts';

function answerWire(query: DnsQuery, address: string | null): { wire: Buffer; ttlOffsets: Uint16Array } {
  const question = query.packet.subarray(12, query.questionEnd);
  const rr = address === null ? 0 : 16;
  const wire = Buffer.alloc(12 + question.length + rr);
  wire.writeUInt16BE(query.id, 0);
  wire.writeUInt16BE(0x8180 | (address === null ? 3 : 0), 2);
  wire.writeUInt16BE(1, 4);
  wire.writeUInt16BE(address === null ? 0 : 1, 6);
  question.copy(wire, 12);
  if (address === null) return { wire, ttlOffsets: new Uint16Array(0) };
  const o = 12 + question.length;
  wire.writeUInt16BE(0xc00c, o);
  wire.writeUInt16BE(1, o + 2);
  wire.writeUInt16BE(1, o + 4);
  wire.writeUInt32BE(300, o + 6);
  wire.writeUInt16BE(4, o + 10);
  address.split('.').forEach((b, i) => (wire[o + 12 + i] = Number(b)));
  return { wire, ttlOffsets: Uint16Array.of(o + 6) };
}

export class FakeResolver implements Resolver {
  readonly seen: DnsQuery[] = [];
  resolve(query: DnsQuery): DnsAnswer | Promise<DnsAnswer> {
    this.seen.push(query);
    const m = /^(\d+)\.a\.test$/.exec(query.name);
    if (query.name === 'slow.test') {
      return new Promise((resolve) =>
        setTimeout(() => resolve({ ...answerWire(query, '192.0.2.254'), result: 'allowed', ttl: 300 }), 300),
      );
    }
    if (m && query.qtype === 1) {
      return { ...answerWire(query, `192.0.2.${m[1]}`), result: 'allowed', ttl: 300, ttlElapsed: 5 };
    }
    return { ...answerWire(query, null), result: 'allowed', ttl: 60 };
  }
}
