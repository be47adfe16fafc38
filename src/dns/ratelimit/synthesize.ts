// RFC 8482's answer to ANY: one HINFO "RFC8482" "" record, built from the query's own header and
// question so that the front end's copy of the question bytes lines up. (Answers that are an rcode
// alone, REFUSED included, come from the shared ../wire/errors.ts.)
import type { DnsQuery } from '../resolver.ts';
import { CLASS_IN } from '../wire/constants.ts';

const TYPE_HINFO = 13;

/** RFC 8482 §4.2 suggests a long TTL so that the synthesized answer is cached; Cloudflare uses ~1 h. */
export const HINFO_TTL = 3600;
// CPU "RFC8482", OS "" (RFC 8482 §4.2).
const HINFO_RDATA = Buffer.from([7, ...Buffer.from('RFC8482'), 0]);

/** The one-record ANY answer of RFC 8482 §4.2; its TTL sits at `HINFO_TTL_OFFSET(query)`. */
export function hinfoAnswer(query: DnsQuery): { wire: Buffer; ttlOffset: number } {
  const q = query.questionEnd;
  const out = Buffer.allocUnsafe(q + 12 + HINFO_RDATA.length);
  query.packet.copy(out, 0, 0, q);
  writeHeader(out, 1);
  out.writeUInt16BE(0xc00c, q); // the question's name
  out.writeUInt16BE(TYPE_HINFO, q + 2);
  out.writeUInt16BE(CLASS_IN, q + 4);
  out.writeUInt32BE(HINFO_TTL, q + 6);
  out.writeUInt16BE(HINFO_RDATA.length, q + 10);
  HINFO_RDATA.copy(out, q + 12);
  return { wire: out, ttlOffset: q + 6 };
}

function writeHeader(out: Buffer, ancount: number): void {
  // QR=1, opcode 0, AA=0, TC=0, RD as asked; RA=1, Z/AD=0, CD as asked, NOERROR.
  out[2] = 0x80 | (out[2] & 0x01);
  out[3] = 0x80 | (out[3] & 0x10);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(ancount, 6);
  out.writeUInt32BE(0, 8);
}
