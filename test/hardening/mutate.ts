// Random and mutated DNS packets for the flood test and the soak: real queries with bit flips,
// truncations, lying length and count fields, compression loops, and plain random bytes.
import { queryPacket } from '../helpers/dns-query.ts';

/** A small deterministic PRNG (xorshift32): a failure replays with the same packets. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

function withEdns(q: Buffer, cookie: boolean): Buffer {
  const c = cookie ? Buffer.from('000a00080102030405060708', 'hex') : Buffer.alloc(0);
  const opt = Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, c.length]);
  const out = Buffer.concat([q, opt, c]);
  out.writeUInt16BE(1, 10);
  return out;
}

const BASES = [
  queryPacket('a.test', 1),
  queryPacket('www.example.test', 28),
  withEdns(queryPacket('a.test', 65), true),
  withEdns(queryPacket('x'.repeat(63) + '.test', 16), false),
  queryPacket('', 2),
];

/** One hostile packet. */
export function mutate(r: () => number): Buffer {
  const pick = Math.floor(r() * 8);
  if (pick === 0)
    return Buffer.from(Array.from({ length: Math.floor(r() * 600) }, () => Math.floor(r() * 256)));
  const p = Buffer.from(BASES[Math.floor(r() * BASES.length)]);
  switch (pick) {
    case 1: // bit flips
      for (let i = 0, n = 1 + Math.floor(r() * 8); i < n; i++)
        p[Math.floor(r() * p.length)] ^= 1 << Math.floor(r() * 8);
      return p;
    case 2: // truncation
      return p.subarray(0, Math.floor(r() * p.length));
    case 3: // lying counts (QD/AN/NS/AR)
      p.writeUInt16BE(Math.floor(r() * 65536), 4 + 2 * Math.floor(r() * 4));
      return p;
    case 4: // a label length pointing past the end
      p[12] = 1 + Math.floor(r() * 63);
      return p.subarray(0, 14 + Math.floor(r() * 4));
    case 5: // compression loop in the question
      return Buffer.concat([p.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    case 6: // OPT with a lying RDLENGTH
      if (p.readUInt16BE(10) === 1)
        p.writeUInt16BE(Math.floor(r() * 65536), p.length - 2 - (p.length > 40 ? 12 : 0));
      else p.writeUInt16BE(1, 10);
      return p;
    default: // a response (QR set) or an unknown opcode
      p[2] |= r() < 0.5 ? 0x80 : 0x78;
      return p;
  }
}
