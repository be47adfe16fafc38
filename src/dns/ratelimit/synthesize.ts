// Answers the protection links write themselves: an rcode with the question echoed, and RFC 8482's
// HINFO. Built from the query's own header and question, so the front end's copy of the question
// bytes lines up; refusals are the rare path (the common one passes through without allocating).
import type { DnsQuery } from '../resolver.ts';

const TYPE_HINFO = 13;
const CLASS_IN = 1;
/** RFC 8482 §4.2 suggests a long TTL so that the synthesized answer is cached; Cloudflare uses ~1 h. */
export const HINFO_TTL = 3600;
// CPU "RFC8482", OS "" (RFC 8482 §4.2).
const HINFO_RDATA = Buffer.from([7, ...Buffer.from('RFC8482'), 0]);

/** Header + question of `query` with QR and RA set, counts zeroed, and `rcode`. */
export function rcodeAnswer(query: DnsQuery, rcode: number): Buffer {
  const out = Buffer.allocUnsafe(query.questionEnd);
  query.packet.copy(out, 0, 0, query.questionEnd);
  writeHeader(out, rcode, 0);
  return out;
}

/** The one-record ANY answer of RFC 8482 §4.2; its TTL sits at `HINFO_TTL_OFFSET(query)`. */
export function hinfoAnswer(query: DnsQuery): { wire: Buffer; ttlOffset: number } {
  const q = query.questionEnd;
  const out = Buffer.allocUnsafe(q + 12 + HINFO_RDATA.length);
  query.packet.copy(out, 0, 0, q);
  writeHeader(out, 0, 1);
  out.writeUInt16BE(0xc00c, q); // the question's name
  out.writeUInt16BE(TYPE_HINFO, q + 2);
  out.writeUInt16BE(CLASS_IN, q + 4);
  out.writeUInt32BE(HINFO_TTL, q + 6);
  out.writeUInt16BE(HINFO_RDATA.length, q + 10);
  HINFO_RDATA.copy(out, q + 12);
  return { wire: out, ttlOffset: q + 6 };
}

function writeHeader(out: Buffer, rcode: number, ancount: number): void {
  // QR=1, opcode 0, AA=0, TC=0, RD as asked; RA=1, Z/AD=0, CD as asked.
  out[2] = 0x80 | (out[2] & 0x01);
  out[3] = 0x80 | (out[3] & 0x10) | (rcode & 0x0f);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(ancount, 6);
  out.writeUInt32BE(0, 8);
}
