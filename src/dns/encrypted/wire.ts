// Wire parsing and reply writing for the encrypted front ends.
//
// Interim: a compact reading of the query and writing of the reply per the contract in
// ../resolver.ts, used until the shared src/dns/wire/ (parse-query.ts, encode-reply.ts) lands; then
// this file becomes a re-export of those so every front end writes replies the same way.
import type { DnsAnswer, DnsQuery, Protocol } from '../resolver.ts';

/** A query that could not be served but can be answered (FORMERR, NOTIMP, BADVERS). */
export interface ErrorReply {
  readonly reply: Buffer;
}

const OPT = 41;
const COOKIE = 10;
const EDE = 15;

/** Reads a query; `null` when not even a header can be read (drop it). */
export function parseQuery(
  packet: Buffer,
  client: string,
  protocol: Protocol,
  received: number,
): DnsQuery | ErrorReply | null {
  if (packet.length < 12) return null;
  const flags = packet.readUInt16BE(2);
  if (flags & 0x8000) return null; // a response, not a query
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return { reply: errorReply(packet, 4) };
  if (packet.readUInt16BE(4) !== 1) return { reply: errorReply(packet, 1) };
  let pos = 12;
  const labels: string[] = [];
  for (;;) {
    if (pos >= packet.length) return { reply: errorReply(packet, 1) };
    const len = packet[pos];
    if (len === 0) break;
    if (len > 63 || pos + 1 + len > packet.length) return { reply: errorReply(packet, 1) };
    labels.push(packet.toString('latin1', pos + 1, pos + 1 + len).toLowerCase());
    pos += 1 + len;
  }
  pos += 1;
  if (pos + 4 > packet.length) return { reply: errorReply(packet, 1) };
  const qtype = packet.readUInt16BE(pos);
  const qclass = packet.readUInt16BE(pos + 2);
  const questionEnd = pos + 4;
  let edns = false;
  let udpSize = 512;
  let doBit = false;
  let cookie = false;
  // An OPT record is the only thing a query normally carries after its question.
  if (packet.readUInt16BE(10) > 0 && packet.readUInt16BE(6) === 0 && packet.readUInt16BE(8) === 0) {
    const p = questionEnd;
    if (p + 11 <= packet.length && packet[p] === 0 && packet.readUInt16BE(p + 1) === OPT) {
      edns = true;
      udpSize = Math.min(65535, Math.max(512, packet.readUInt16BE(p + 3)));
      const version = packet[p + 6];
      doBit = (packet.readUInt16BE(p + 7) & 0x8000) !== 0;
      if (version > 0) return { reply: errorReply(packet, 16) };
      let o = p + 11;
      const end = Math.min(packet.length, o + packet.readUInt16BE(p + 9));
      while (o + 4 <= end) {
        if (packet.readUInt16BE(o) === COOKIE) cookie = true;
        o += 4 + packet.readUInt16BE(o + 2);
      }
    }
  }
  return {
    packet,
    id: packet.readUInt16BE(0),
    name: labels.join('.'),
    qtype,
    qclass,
    questionEnd,
    rd: (flags & 0x0100) !== 0,
    cd: (flags & 0x0010) !== 0,
    edns,
    udpSize,
    doBit,
    cookie,
    client,
    protocol,
    received,
  };
}

/** Header (and question, when it can be read) of `packet` with QR set and `rcode`. */
export function errorReply(packet: Buffer, rcode: number): Buffer {
  let end = 12;
  if (packet.length >= 12 && packet.readUInt16BE(4) === 1) {
    let pos = 12;
    while (pos < packet.length && packet[pos] !== 0 && packet[pos] <= 63) pos += 1 + packet[pos];
    if (pos + 5 <= packet.length && packet[pos] === 0) end = pos + 5;
  }
  const extended = rcode > 15;
  const out = Buffer.alloc(end + (extended ? 11 : 0));
  packet.copy(out, 0, 0, Math.min(end, packet.length));
  const flags = packet.length >= 4 ? packet.readUInt16BE(2) : 0;
  out.writeUInt16BE(0x8000 | (flags & 0x7900) | 0x0080 | (rcode & 0xf), 2);
  out.writeUInt16BE(end > 12 ? 1 : 0, 4);
  out.writeUInt32BE(0, 6);
  out.writeUInt16BE(extended ? 1 : 0, 10);
  if (extended) {
    // BADVERS: the upper 8 bits of the rcode live in the OPT record's TTL field.
    out.writeUInt16BE(OPT, end + 1);
    out.writeUInt16BE(1232, end + 3);
    out[end + 5] = rcode >> 4;
  }
  return out;
}

function skipName(buf: Buffer, pos: number): number {
  while (pos < buf.length) {
    const len = buf[pos];
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2;
    pos += 1 + len;
  }
  return pos;
}

/** The final reply: the query's ID and question, the answer's records, TTLs adjusted, OPT when asked. */
export function encodeReply(query: DnsQuery, answer: DnsAnswer, limit: number): Buffer {
  const wire = answer.wire;
  const aqEnd = wire.readUInt16BE(4) > 0 ? skipName(wire, 12) + 4 : 12;
  const question = query.packet.subarray(12, query.questionEnd);
  const edeText = answer.ede ? Buffer.from(answer.ede.text, 'utf8') : null;
  const optLen = query.edns ? 11 + (answer.ede ? 6 + edeText!.length : 0) : 0;
  const out = Buffer.alloc(12 + question.length + (wire.length - aqEnd) + optLen);
  wire.copy(out, 0, 0, 12);
  out.writeUInt16BE(query.id, 0);
  out.writeUInt16BE(1, 4);
  question.copy(out, 12);
  const shift = 12 + question.length - aqEnd;
  wire.copy(out, 12 + question.length, aqEnd);
  if (answer.ttlOffsets) {
    const fixed = answer.ttlFixed ?? 0;
    const elapsed = answer.ttlElapsed ?? 0;
    for (const off of answer.ttlOffsets) {
      const at = off + shift;
      const ttl = fixed > 0 ? fixed : Math.max(0, out.readUInt32BE(at) - elapsed);
      out.writeUInt32BE(ttl >>> 0, at);
    }
  }
  if (query.edns) {
    let o = out.length - optLen;
    out[o] = 0;
    out.writeUInt16BE(OPT, o + 1);
    out.writeUInt16BE(1232, o + 3);
    out.writeUInt32BE(query.doBit ? 0x8000 : 0, o + 5);
    out.writeUInt16BE(optLen - 11, o + 9);
    o += 11;
    if (answer.ede && edeText) {
      out.writeUInt16BE(EDE, o);
      out.writeUInt16BE(2 + edeText.length, o + 2);
      out.writeUInt16BE(answer.ede.code, o + 4);
      edeText.copy(out, o + 6);
    }
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  }
  if (out.length > limit) {
    // Larger than the transport can carry: header and question only, TC set.
    const cut = Buffer.from(out.subarray(0, 12 + question.length));
    cut.writeUInt16BE(cut.readUInt16BE(2) | 0x0200, 2);
    cut.writeUInt32BE(0, 6);
    cut.writeUInt16BE(0, 10);
    return cut;
  }
  return out;
}
