// The query banwall sends upstream: the client's question (0x20 case kept), a header of our own
// (RD=1, CD copied, ID written per attempt by the transport) and our own OPT record advertising
// 1232 bytes (DNS flag day 2020) with the client's DO bit. Client EDNS options are never forwarded.
import type { DnsQuery } from '../resolver.ts';

const OPT_LEN = 11;
export const EDNS_UDP_SIZE = 1232;

export function buildOutgoingQuery(query: DnsQuery): Buffer {
  const qlen = query.questionEnd - 12;
  const out = Buffer.allocUnsafe(12 + qlen + OPT_LEN);
  out.writeUInt16BE(0, 0); // ID: set by the transport
  out[2] = 0x01; // RD
  out[3] = query.cd ? 0x10 : 0x00;
  out.writeUInt16BE(1, 4); // QDCOUNT
  out.writeUInt32BE(0, 6); // ANCOUNT, NSCOUNT
  out.writeUInt16BE(1, 10); // ARCOUNT: our OPT
  query.packet.copy(out, 12, 12, query.questionEnd);
  let o = 12 + qlen;
  out[o++] = 0; // root owner name
  out.writeUInt16BE(41, o); // OPT
  out.writeUInt16BE(EDNS_UDP_SIZE, o + 2);
  out.writeUInt32BE(query.doBit ? 0x00008000 : 0, o + 4); // ext rcode 0, version 0, DO
  out.writeUInt16BE(0, o + 8); // no options
  return out;
}
