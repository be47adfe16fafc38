// Client addresses as 16-byte keys (IPv4 as ::ffff:a.b.c.d), so that a CIDR search is one range scan
// on an index (SQLite compares BLOBs bytewise) instead of a parse of every row's text.
import { parseCidr } from '../policy/match/ip-parse.ts';

const EMPTY = new Uint8Array(16);

function toBytes(family: 4 | 6, v4: number, v6: Uint32Array): Uint8Array {
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  if (family === 4) {
    view.setUint16(10, 0xffff);
    view.setUint32(12, v4 >>> 0);
  } else {
    for (let i = 0; i < 4; i++) view.setUint32(i * 4, v6[i]);
  }
  return out;
}

/** The key of one address; all zeroes when `address` is not an IP (an event of an unknown client). */
export function addressKey(address: string): Uint8Array {
  const c = parseCidr(address);
  if (c === null || c.prefix !== (c.family === 4 ? 32 : 128)) return EMPTY;
  return toBytes(c.family, c.v4, c.v6);
}

/** The first and last key of a CIDR (or of one address); null when `text` is neither. */
export function cidrRange(text: string): { lo: Uint8Array; hi: Uint8Array } | null {
  const c = parseCidr(text);
  if (c === null) return null;
  const lo = toBytes(c.family, c.v4, c.v6);
  const hi = lo.slice();
  // Set every host bit of the range's last key; IPv4 bits start at byte 12.
  const start = c.family === 4 ? 96 + c.prefix : c.prefix;
  for (let bit = start; bit < 128; bit++) hi[bit >> 3] |= 0x80 >> (bit & 7);
  return { lo, hi };
}
