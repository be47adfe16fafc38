// DNS Cookies (RFC 7873) with the interoperable server cookie of RFC 9018: what a query's COOKIE
// option proves, and the COOKIE option of the reply.
//
// Server cookie (16 bytes): Version 1 | Reserved (3 bytes, 0) | Timestamp (4 bytes, Unix seconds) |
// Hash (8 bytes) = SipHash-2-4(key, Client Cookie | Version | Reserved | Timestamp | Client IP).
// A returned server cookie is valid when its hash matches for this client's address under the key
// that was in force at its timestamp, and the timestamp is at most 1 hour old and at most 5 minutes
// ahead (RFC 9018 §4.3). Only then is the client's source address proven (it received our reply).
//
// Runs only for queries that carry a COOKIE option; the hash input and output are module scratch
// buffers (all of this is synchronous), so the only allocation is the 24-byte reply option.
import { parseIpv4, parseIpv6 } from '../../policy/match/ip-parse.ts';
import { siphash24 } from './siphash.ts';

export const CLIENT_COOKIE_LEN = 8;
/** Server cookies banwall issues (RFC 9018). Others may be 8 to 32 bytes (RFC 7873 §4.2). */
export const SERVER_COOKIE_LEN = 16;
const VERSION = 1;
/** RFC 9018 §4.3: older than this, or further ahead than MAX_AHEAD, a server cookie is invalid. */
export const COOKIE_MAX_AGE = 3600;
export const COOKIE_MAX_AHEAD = 300;

/** A COOKIE option length RFC 7873 §5.2.2 accepts: a client cookie alone, or with an 8-32 byte server cookie. */
export function cookieLengthValid(len: number): boolean {
  return len === CLIENT_COOKIE_LEN || (len >= 16 && len <= 40);
}

/** Where the keys come from: the key in force at a timestamp, and the clock. */
export interface CookieKeys {
  /** The 16-byte SipHash key for cookies stamped at `timestamp` (Unix seconds). */
  keyAt(timestamp: number): Uint8Array;
  /** Now, in Unix seconds (uint32). */
  now(): number;
}

// Client Cookie (8) | Version, Reserved, Timestamp (8) | Client IP (4 or 16).
const INPUT = new Uint8Array(32);
const HASH = new Uint8Array(8);
const V6 = new Uint32Array(4);

/** Writes `client`'s address bytes into INPUT at 16; returns the input's end, or -1 when not an IP. */
function putAddress(client: string): number {
  const v4 = parseIpv4(client);
  if (v4 >= 0) {
    INPUT[16] = v4 >>> 24;
    INPUT[17] = (v4 >>> 16) & 0xff;
    INPUT[18] = (v4 >>> 8) & 0xff;
    INPUT[19] = v4 & 0xff;
    return 20;
  }
  if (!parseIpv6(client, V6)) return -1;
  for (let i = 0; i < 4; i++) {
    const w = V6[i];
    INPUT[16 + i * 4] = w >>> 24;
    INPUT[17 + i * 4] = (w >>> 16) & 0xff;
    INPUT[18 + i * 4] = (w >>> 8) & 0xff;
    INPUT[19 + i * 4] = w & 0xff;
  }
  return 32;
}

export class ServerCookies {
  private readonly keys: CookieKeys;

  constructor(keys: CookieKeys) {
    this.keys = keys;
  }

  /**
   * Whether the COOKIE option data at `packet[at, at + len)` (a valid length, see cookieLengthValid)
   * holds a server cookie banwall issued to `client` and still accepts.
   */
  verify(packet: Uint8Array, at: number, len: number, client: string): boolean {
    if (len !== CLIENT_COOKIE_LEN + SERVER_COOKIE_LEN || packet[at + 8] !== VERSION) return false;
    const stamp =
      ((packet[at + 12] << 24) | (packet[at + 13] << 16) | (packet[at + 14] << 8) | packet[at + 15]) >>> 0;
    // Serial-number arithmetic (RFC 1982): the timestamp wraps in 2106.
    const age = (this.keys.now() - stamp) | 0;
    if (age > COOKIE_MAX_AGE || age < -COOKIE_MAX_AHEAD) return false;
    // Client cookie, version and reserved bytes as received (RFC 9018 §4.4 hashes them as sent).
    for (let i = 0; i < 16; i++) INPUT[i] = packet[at + i];
    const end = putAddress(client);
    if (end < 0) return false;
    siphash24(this.keys.keyAt(stamp), INPUT, 0, end, HASH, 0);
    let diff = 0;
    for (let i = 0; i < 8; i++) diff |= HASH[i] ^ packet[at + 16 + i];
    return diff === 0;
  }

  /**
   * The COOKIE option data of the reply to the query whose option data starts at `packet[at]`: its
   * client cookie and a fresh server cookie for `client`. Null when `client` is not an address
   * (then the reply carries no cookie).
   */
  reply(packet: Uint8Array, at: number, client: string): Buffer | null {
    const now = this.keys.now();
    for (let i = 0; i < 8; i++) INPUT[i] = packet[at + i];
    INPUT[8] = VERSION;
    INPUT[9] = INPUT[10] = INPUT[11] = 0;
    INPUT[12] = now >>> 24;
    INPUT[13] = (now >>> 16) & 0xff;
    INPUT[14] = (now >>> 8) & 0xff;
    INPUT[15] = now & 0xff;
    const end = putAddress(client);
    if (end < 0) return null;
    const out = Buffer.allocUnsafe(CLIENT_COOKIE_LEN + SERVER_COOKIE_LEN);
    for (let i = 0; i < 16; i++) out[i] = INPUT[i];
    siphash24(this.keys.keyAt(now), INPUT, 0, end, out, 16);
    return out;
  }
}
