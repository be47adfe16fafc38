// Removes the `ech` SvcParam (key 5, RFC 9460 §14.3.2 / draft-ietf-tls-svcb-ech) from every SVCB and
// HTTPS record of a DNS message, so that a client has no ECH configuration and sends its real SNI in
// the clear, where the proxy and the firewall can judge it.
//
// Removing bytes moves everything after them: record lengths shrink, TTL offsets move, and any
// compression pointer to a name after a removed parameter must point lower by what was removed
// before its target. Pointers live in owner names and in the names inside the rdata of the types
// that may carry compressed names (RFC 3597 §4); other rdata is opaque bytes that never holds one.
// A pointer into a removed parameter means the message is not what it claims: it is left unchanged.
// So is a message whose rewrite does not read back with the same facts (a pointer into opaque rdata
// that itself holds a pointer, say: only a broken or hostile upstream sends one; found by fuzzing).
//
// Runs on the upstream-answer slow path (below the cache), never on a cache hit.

import { readAnswer } from '../wire/answer-facts.ts';
import type { AnswerFacts } from '../resolver.ts';
import { TYPE } from '../wire/constants.ts';

const SVC_ECH = 5;

/** rdata offsets of the names in types that may carry compressed names (RFC 1035, RFC 3597 §4). */
function rdataNames(type: number, rdata: number, end: number, msg: Buffer): number[] {
  switch (type) {
    case 2: // NS
    case 3: // MD
    case 4: // MF
    case 5: // CNAME
    case 7: // MB
    case 8: // MG
    case 9: // MR
    case 12: // PTR
    case 39: // DNAME
      return [rdata];
    case 6: // SOA: MNAME, RNAME
    case 14: // MINFO
    case 17: {
      // RP
      const second = skipName(msg, rdata);
      return second < 0 || second > end ? [rdata] : [rdata, second];
    }
    case 15: // MX
    case 18: // AFSDB
    case 21: // RT
    case 36: // KX
      return [rdata + 2];
    case 26: {
      // PX: preference, MAP822, MAPX400
      const second = skipName(msg, rdata + 2);
      return second < 0 || second > end ? [rdata + 2] : [rdata + 2, second];
    }
    case 33: // SRV (uncompressed by RFC 2782, compressed by some servers)
      return [rdata + 6];
    case TYPE.SVCB:
    case TYPE.HTTPS:
      return [rdata + 2];
    default:
      return [];
  }
}

/** Offset just past the name at `off` (not following pointers), or -1. */
function skipName(buf: Buffer, off: number): number {
  for (let guard = 0; guard < 128; guard++) {
    if (off >= buf.length) return -1;
    const len = buf[off];
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) return off + 2 <= buf.length ? off + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    off += 1 + len;
  }
  return -1;
}

/** The offset of the compression pointer ending the name at `off`, or -1 when it has none. */
function pointerOf(buf: Buffer, off: number): number {
  for (let guard = 0; guard < 128; guard++) {
    if (off >= buf.length) return -1;
    const len = buf[off];
    if (len === 0) return -1;
    if ((len & 0xc0) === 0xc0) return off + 1 < buf.length ? off : -1;
    if ((len & 0xc0) !== 0) return -1;
    off += 1 + len;
  }
  return -1;
}

interface Cut {
  readonly start: number;
  readonly end: number;
  /** Offset of the RDLENGTH field of the record the cut is in. */
  readonly rdlenAt: number;
}

export interface Stripped {
  readonly wire: Buffer;
  readonly ttlOffsets: Uint16Array | undefined;
}

/**
 * `msg` without any `ech` SvcParam, or null when it holds none (or cannot be rewritten safely).
 * `ttlOffsets` (offsets of TTL fields in `msg`) are returned moved to match.
 */
export function stripEch(msg: Buffer, ttlOffsets: Uint16Array | undefined): Stripped | null {
  if (msg.length < 12) return null;
  const qd = msg.readUInt16BE(4);
  const total = msg.readUInt16BE(6) + msg.readUInt16BE(8) + msg.readUInt16BE(10);
  let off = 12;
  for (let i = 0; i < qd; i++) {
    off = skipName(msg, off);
    if (off < 0 || off + 4 > msg.length) return null;
    off += 4;
  }
  const names: number[] = [];
  const cuts: Cut[] = [];
  for (let i = 0; i < total; i++) {
    names.push(off);
    off = skipName(msg, off);
    if (off < 0 || off + 10 > msg.length) return null;
    const type = msg.readUInt16BE(off);
    const rdlenAt = off + 8;
    const rdata = off + 10;
    const end = rdata + msg.readUInt16BE(rdlenAt);
    if (end > msg.length) return null;
    for (const n of rdataNames(type, rdata, end, msg)) if (n < end) names.push(n);
    if ((type === TYPE.SVCB || type === TYPE.HTTPS) && end >= rdata + 3) {
      let p = skipName(msg, rdata + 2);
      if (p < 0 || p > end) return null;
      while (p + 4 <= end) {
        const next = p + 4 + msg.readUInt16BE(p + 2);
        if (next > end) return null;
        if (msg.readUInt16BE(p) === SVC_ECH) cuts.push({ start: p, end: next, rdlenAt });
        p = next;
      }
    }
    off = end;
  }
  if (cuts.length === 0) return null;

  /** Where the byte at `o` of `msg` lands in the output; -1 when it was cut. */
  const moved = (o: number): number => {
    let removed = 0;
    for (const c of cuts) {
      if (o < c.start) break;
      if (o < c.end) return -1;
      removed += c.end - c.start;
    }
    return o - removed;
  };

  const removedTotal = cuts.reduce((n, c) => n + c.end - c.start, 0);
  const out = Buffer.allocUnsafe(off - removedTotal);
  let from = 0;
  let to = 0;
  for (const c of cuts) {
    msg.copy(out, to, from, c.start);
    to += c.start - from;
    from = c.end;
  }
  msg.copy(out, to, from, off);
  for (const c of cuts) {
    const at = moved(c.rdlenAt);
    out.writeUInt16BE(out.readUInt16BE(at) - (c.end - c.start), at);
  }
  for (const n of names) {
    const ptr = pointerOf(msg, n);
    if (ptr < 0) continue;
    const target = ((msg[ptr] & 0x3f) << 8) | msg[ptr + 1];
    const newTarget = moved(target);
    if (newTarget < 0) return null;
    out.writeUInt16BE(0xc000 | newTarget, moved(ptr));
  }
  let offsets = ttlOffsets;
  if (ttlOffsets !== undefined) {
    offsets = new Uint16Array(ttlOffsets.length);
    for (let i = 0; i < ttlOffsets.length; i++) offsets[i] = moved(ttlOffsets[i]);
  }
  // The rewrite must read back as the same answer: what the blocking link judges may not change.
  if (!sameFacts(readAnswer(msg)?.facts, readAnswer(out)?.facts)) return null;
  return { wire: out, ttlOffsets: offsets };
}

function sameFacts(a: AnswerFacts | undefined, b: AnswerFacts | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const same = (x: readonly string[], y: readonly string[]) =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  return same(a.targets, b.targets) && same(a.addresses, b.addresses);
}
