// Answers for the local zones, written from the query's bytes like the block answers: header, the
// query's question, then records whose owner is a compression pointer into that question (the query
// name itself, or the zone apex, which is always a suffix of it). One allocation per answer.

import { TYPE } from '../wire/constants.ts';

/** Unbound's TTL and negative TTL for its built-in local zones. */
export const LOCAL_TTL = 10800;

function name(n: string): Buffer {
  const parts: Buffer[] = [];
  for (const l of n.split('.')) parts.push(Buffer.of(l.length), Buffer.from(l, 'ascii'));
  parts.push(Buffer.of(0));
  return Buffer.concat(parts);
}

/** A record after its owner: type, class IN, TTL, rdata length, rdata. */
function body(type: number, rdata: Buffer): Buffer {
  const b = Buffer.alloc(10 + rdata.length);
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(LOCAL_TTL, 4);
  b.writeUInt16BE(rdata.length, 8);
  rdata.copy(b, 10);
  return b;
}

const LOCALHOST = name('localhost');
/** Unbound's: localhost. nobody.invalid. 1 3600 1200 604800 10800 */
const SOA_FIXED = Buffer.alloc(20);
SOA_FIXED.writeUInt32BE(1, 0);
SOA_FIXED.writeUInt32BE(3600, 4);
SOA_FIXED.writeUInt32BE(1200, 8);
SOA_FIXED.writeUInt32BE(604800, 12);
SOA_FIXED.writeUInt32BE(LOCAL_TTL, 16);

export const RECORD = {
  a: body(TYPE.A, Buffer.of(127, 0, 0, 1)),
  aaaa: body(TYPE.AAAA, Buffer.concat([Buffer.alloc(15), Buffer.of(1)])),
  ns: body(TYPE.NS, LOCALHOST),
  ptr: body(TYPE.PTR, LOCALHOST),
  soa: body(TYPE.SOA, Buffer.concat([LOCALHOST, name('nobody.invalid'), SOA_FIXED])),
} as const;

/**
 * The reply to `packet` (question ending at `qEnd`): `answer` (owned by the query name) in the
 * answer section when given, else the zone's SOA (owned by the apex at `apexAt`) in authority.
 */
export function writeLocalAnswer(
  packet: Buffer,
  qEnd: number,
  rcode: number,
  answer: Buffer | null,
  apexAt: number,
): Buffer {
  const rec = answer ?? RECORD.soa;
  const out = Buffer.allocUnsafe(qEnd + 2 + rec.length);
  out[0] = packet[0];
  out[1] = packet[1];
  // QR, opcode and RD from the query, AA (banwall is the authority for these zones, as Unbound);
  // RA, CD copied, rcode.
  out[2] = 0x80 | (packet[2] & 0x79) | 0x04;
  out[3] = 0x80 | (packet[3] & 0x10) | rcode;
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(answer === null ? 0 : 1, 6);
  out.writeUInt16BE(answer === null ? 1 : 0, 8);
  out.writeUInt16BE(0, 10);
  packet.copy(out, 12, 12, qEnd);
  out.writeUInt16BE(0xc000 | (answer === null ? apexAt : 12), qEnd);
  rec.copy(out, qEnd + 2);
  return out;
}
