// Reads an upstream answer once, on the slow path (a cache miss), and extracts what the links above
// need: TTL offsets (the front end rewrites TTLs without parsing), the cacheable TTL (RFC 2308 for
// negative answers), the rcode and the facts the blocking link checks: every name an answer points a
// client at (CNAME/DNAME targets, SVCB/HTTPS TargetNames, MX exchanges, SRV targets, NS names) and
// every address it hands out (A/AAAA, SVCB/HTTPS ipv4hint/ipv6hint). The OPT record is stripped:
// the front end writes its own for each client.
//
// Hand-written rather than dns2's parser: an upstream (or a spoofer) may send anything, so every read
// is bounds-checked, compression pointers must point backwards and are followed a bounded number of
// times, and the function returns null instead of throwing. dns2's Packet.parse throws on truncated
// input and builds an object per record, which we do not need here.
import type { AnswerFacts } from '../resolver.ts';

export interface UpstreamAnswer {
  /** The answer without its OPT record (ARCOUNT adjusted). */
  readonly wire: Buffer;
  readonly ttlOffsets: Uint16Array;
  /** Cacheable seconds: min answer TTL; negative answers min(SOA TTL, SOA MINIMUM); 0 = do not cache. */
  readonly ttl: number;
  readonly rcode: number;
  /** Header flags (TC is 0x0200). */
  readonly flags: number;
  readonly facts: AnswerFacts;
}

const TYPE_A = 1;
const TYPE_NS = 2;
const TYPE_CNAME = 5;
const TYPE_SOA = 6;
const TYPE_MX = 15;
const TYPE_AAAA = 28;
const TYPE_SRV = 33;
const TYPE_DNAME = 39;
const TYPE_OPT = 41;
const TYPE_SVCB = 64;
const TYPE_HTTPS = 65;
const SVC_IPV4HINT = 4;
const SVC_IPV6HINT = 6;
const MAX_POINTER_HOPS = 64;
const NO_FACTS: AnswerFacts = Object.freeze({ targets: Object.freeze([]), addresses: Object.freeze([]) });

/** Offset just past the (possibly compressed) name at `off`, or -1 when it runs out of bounds. */
export function skipName(buf: Buffer, off: number): number {
  for (let guard = 0; guard < 128; guard++) {
    if (off >= buf.length) return -1;
    const len = buf[off];
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2 <= buf.length ? off + 2 : -1;
    if ((len & 0xc0) !== 0) return -1; // 0x40/0x80 label types are obsolete or unknown
    off += 1 + len;
  }
  return -1;
}

/** The name at `off`, lower-cased, without the trailing dot; null when malformed or looping. */
export function readName(buf: Buffer, off: number): string | null {
  let name = '';
  let hops = 0;
  let total = 0;
  for (;;) {
    if (off >= buf.length) return null;
    const len = buf[off];
    if (len === 0) return name.toLowerCase();
    if ((len & 0xc0) === 0xc0) {
      if (off + 2 > buf.length || ++hops > MAX_POINTER_HOPS) return null;
      const target = ((len & 0x3f) << 8) | buf[off + 1];
      if (target >= off) return null; // pointers point backwards: this alone forbids loops
      off = target;
      continue;
    }
    if ((len & 0xc0) !== 0 || off + 1 + len > buf.length) return null;
    total += len + 1;
    if (total > 255) return null;
    const label = buf.toString('latin1', off + 1, off + 1 + len);
    name = name === '' ? label : `${name}.${label}`;
    off += 1 + len;
  }
}

function lowerByte(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/**
 * Whether `answer` answers the question of `query` (bytes 12..questionEnd): QR set, one question,
 * the same name (case-insensitively: 0x20 randomisation), type and class. The caller checks the ID.
 */
export function answerMatches(answer: Buffer, query: Buffer, questionEnd: number): boolean {
  if (answer.length < questionEnd || (answer[2] & 0x80) === 0) return false;
  if (answer[4] !== 0 || answer[5] !== 1) return false;
  for (let i = 12; i < questionEnd; i++) {
    if (answer[i] !== query[i] && lowerByte(answer[i]) !== lowerByte(query[i])) return false;
  }
  return true;
}

/** RFC 5952 text of the 16 bytes at `off` (longest run of zero groups as `::`). */
export function ipv6Text(buf: Buffer, off: number): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (buf.readUInt16BE(off + i * 2) !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && buf.readUInt16BE(off + j * 2) === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += buf.readUInt16BE(off + i * 2).toString(16);
  }
  return out;
}

function ipv4Text(buf: Buffer, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/**
 * SVCB/HTTPS rdata (RFC 9460 §2.2) at [rdata, end) of the record owned by the name at `owner`: the
 * TargetName ("." in ServiceMode means the owner itself) into `targets`, the ipv4hint and ipv6hint
 * addresses into `addresses`. False when the rdata is malformed (a name running past it, a
 * parameter longer than what is left, a hint list that is not a whole number of addresses).
 */
function readSvcb(
  msg: Buffer,
  owner: number,
  rdata: number,
  end: number,
  targets: string[],
  addresses: string[],
): boolean {
  if (rdata + 3 > end) return false;
  const priority = msg.readUInt16BE(rdata);
  const nameAt = rdata + 2;
  const afterName = skipName(msg, nameAt);
  if (afterName < 0 || afterName > end) return false;
  let target = readName(msg, nameAt);
  if (target === null) return false;
  // "." is the owner in ServiceMode, and "no service here" in AliasMode (priority 0).
  if (target === '' && priority !== 0) target = readName(msg, owner);
  if (target === null) return false;
  if (target !== '' && !targets.includes(target)) targets.push(target);
  for (let p = afterName; p < end;) {
    if (p + 4 > end) return false;
    const key = msg.readUInt16BE(p);
    const len = msg.readUInt16BE(p + 2);
    const value = p + 4;
    p = value + len;
    if (p > end) return false;
    if (key === SVC_IPV4HINT) {
      if (len % 4 !== 0) return false;
      for (let a = value; a < p; a += 4) addresses.push(ipv4Text(msg, a));
    } else if (key === SVC_IPV6HINT) {
      if (len % 16 !== 0) return false;
      for (let a = value; a < p; a += 16) addresses.push(ipv6Text(msg, a));
    }
  }
  return true;
}

function ttlAt(buf: Buffer, off: number): number {
  const t = buf.readUInt32BE(off);
  return t > 0x7fffffff ? 0 : t; // RFC 2181 §8: a TTL with the top bit set is 0
}

/** Reads an upstream answer; null when it is not a well-formed DNS message. */
export function readAnswer(msg: Buffer): UpstreamAnswer | null {
  if (msg.length < 12) return null;
  const flags = msg.readUInt16BE(2);
  const rcode = flags & 0x0f;
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  let off = 12;
  for (let i = 0; i < qd; i++) {
    off = skipName(msg, off);
    if (off < 0 || off + 4 > msg.length) return null;
    off += 4;
  }
  const total = an + ns + ar;
  const offsets = new Uint16Array(total);
  let count = 0;
  let optStart = -1;
  let optEnd = -1;
  let minAnswerTtl = 0xffffffff;
  let negTtl = -1;
  let targets: string[] | null = null;
  let addresses: string[] | null = null;
  for (let i = 0; i < total; i++) {
    const start = off;
    off = skipName(msg, off);
    if (off < 0 || off + 10 > msg.length) return null;
    const type = msg.readUInt16BE(off);
    const ttlOff = off + 4;
    const rdlen = msg.readUInt16BE(off + 8);
    const rdata = off + 10;
    off = rdata + rdlen;
    if (off > msg.length) return null;
    if (type === TYPE_OPT) {
      if (optStart >= 0 || i < an + ns) return null; // one OPT, in the additional section (RFC 6891)
      optStart = start;
      optEnd = off;
      continue;
    }
    offsets[count++] = ttlOff;
    const ttl = ttlAt(msg, ttlOff);
    if (i < an) {
      if (ttl < minAnswerTtl) minAnswerTtl = ttl;
      if (type === TYPE_A && rdlen === 4) {
        (addresses ??= []).push(ipv4Text(msg, rdata));
      } else if (type === TYPE_AAAA && rdlen === 16) {
        (addresses ??= []).push(ipv6Text(msg, rdata));
      } else if (type === TYPE_SVCB || type === TYPE_HTTPS) {
        if (!readSvcb(msg, start, rdata, off, (targets ??= []), (addresses ??= []))) return null;
      } else {
        // The name a CNAME/DNAME/NS record holds, or the one after MX's preference or SRV's
        // priority, weight and port. Compressed or not: readName follows pointers either way.
        const at =
          type === TYPE_CNAME || type === TYPE_DNAME || type === TYPE_NS
            ? rdata
            : type === TYPE_MX
              ? rdata + 2
              : type === TYPE_SRV
                ? rdata + 6
                : -1;
        if (at >= 0) {
          const target = at < off ? readName(msg, at) : null;
          const after = skipName(msg, at);
          // A name the blocking link cannot read is an answer it cannot judge: refuse it whole.
          if (target === null || after < 0 || after > off) return null;
          targets ??= [];
          if (target !== '' && !targets.includes(target)) targets.push(target);
        }
      }
    } else if (i < an + ns && type === TYPE_SOA && rdlen >= 22) {
      const minimum = msg.readUInt32BE(off - 4);
      const soaTtl = Math.min(ttl, minimum > 0x7fffffff ? 0 : minimum);
      negTtl = negTtl < 0 ? soaTtl : Math.min(negTtl, soaTtl);
    }
  }

  let ttl = 0;
  const negative = rcode === 3 || (rcode === 0 && an === 0);
  if (negative) {
    // RFC 2308 §5: without a SOA a negative answer must not be cached.
    ttl = negTtl < 0 ? 0 : an > 0 ? Math.min(negTtl, minAnswerTtl) : negTtl;
  } else if (rcode === 0) {
    ttl = minAnswerTtl;
  }

  // Bytes after the last record (some middleboxes pad) are not part of the answer.
  let wire = off < msg.length ? msg.subarray(0, off) : msg;
  let ttlOffsets = count === total ? offsets : offsets.subarray(0, count);
  if (optStart >= 0) {
    const cut = optEnd - optStart;
    wire = Buffer.allocUnsafe(off - cut);
    msg.copy(wire, 0, 0, optStart);
    msg.copy(wire, optStart, optEnd, off);
    wire.writeUInt16BE(ar - 1, 10);
    ttlOffsets = ttlOffsets.slice();
    for (let i = 0; i < ttlOffsets.length; i++) if (ttlOffsets[i] > optStart) ttlOffsets[i] -= cut;
  }
  const facts =
    targets === null && addresses === null
      ? NO_FACTS
      : { targets: targets ?? [], addresses: addresses ?? [] };
  return { wire, ttlOffsets, ttl, rcode, flags, facts };
}
