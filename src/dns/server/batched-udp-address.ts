// Client addresses of the batched UDP path, read from the sockaddr the kernel wrote into a slot, in
// exactly the text node:dgram's rinfo.address gives (libuv's inet_ntop), so that the ACL, the rate
// limiter, client groups, cookies and the canary exclusion see the same strings on either path.
import { unmapAddress } from './client-address.ts';

const AF_INET = 2;

// IPv4 clients repeat: one string per address, not one per query (dgram builds a new one each time).
// One map per first octet, keyed by the other three (24 bits: a small integer, so a lookup allocates
// nothing; a 32-bit key would be a heap number). Bounded: a flood from many sources only empties
// it more often.
const V4_NAMES: (Map<number, string> | undefined)[] = new Array<Map<number, string> | undefined>(256);
const V4_NAMES_MAX = 4096;
let v4Count = 0;

/** The client address in the sockaddr at `at` (a sockaddr_in or sockaddr_in6, host-order family). */
export function sockaddrText(b: Uint8Array, at: number): string {
  const family = b[at] | (b[at + 1] << 8);
  if (family === AF_INET) {
    const key = (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7];
    const names = V4_NAMES[b[at + 4]] ?? (V4_NAMES[b[at + 4]] = new Map<number, string>());
    let name = names.get(key);
    if (name === undefined) {
      name = `${b[at + 4]}.${b[at + 5]}.${b[at + 6]}.${b[at + 7]}`;
      if (v4Count >= V4_NAMES_MAX) {
        for (const m of V4_NAMES) m?.clear();
        v4Count = 0;
      }
      names.set(key, name);
      v4Count++;
    }
    return name;
  }
  return unmapAddress(ipv6Text(b, at + 8));
}

/** The client port in the sockaddr at `at` (network order in both families). */
export function sockaddrPort(b: Uint8Array, at: number): number {
  return (b[at + 2] << 8) | b[at + 3];
}

/**
 * RFC 5952 text of the 16 bytes at `at`, as inet_ntop (BIND's, which libuv copies) writes it: the
 * longest run of two or more zero groups becomes `::` (the first of equal runs), hex in lower case
 * without leading zeros, and `::a.b.c.d` / `::ffff:a.b.c.d` for IPv4-compatible and -mapped addresses.
 */
export function ipv6Text(b: Uint8Array, at: number): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (b[at + 2 * i] === 0 && b[at + 2 * i + 1] === 0) {
      if (curBase < 0) curBase = i;
      curLen++;
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
    } else {
      curBase = -1;
      curLen = 0;
    }
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i > 0) out += ':';
    if (
      i === 6 &&
      bestBase === 0 &&
      (bestLen === 6 || (bestLen === 5 && ((b[at + 10] << 8) | b[at + 11]) === 0xffff))
    ) {
      return `${out}${b[at + 12]}.${b[at + 13]}.${b[at + 14]}.${b[at + 15]}`;
    }
    out += ((b[at + 2 * i] << 8) | b[at + 2 * i + 1]).toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}
