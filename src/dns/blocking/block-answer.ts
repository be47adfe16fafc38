// Block answers, prepared once per action and qtype family as a header without a question plus the
// records; the front end's encodeReply puts the client's ID, flags and question in front (the same
// one copy every answer gets). Blocked names are a hot path (issue 6: ≥ Unbound's 125 k q/s with
// 1 M names; issue 17 item 1: a refusal should cost less than a hit), so nothing is built per query.
import type { DnsQuery } from '../resolver.ts';
import type { BlockAction } from '../../policy/snapshot.ts';
import { parseIpv4, parseIpv6 } from '../../policy/match/ip-parse.ts';
import { RCODE, TYPE } from '../wire/constants.ts';

/** The block answer's wire per qtype family (see `wire` below): built once per action. */
interface Templates {
  readonly a: Buffer;
  readonly aaaa: Buffer;
  readonly other: Buffer;
}

/** `banwall.invalid.` and `hostmaster.banwall.invalid.` (RFC 2606 reserves .invalid). */
const MNAME = encodeName('banwall.invalid');
const RNAME = encodeName('hostmaster.banwall.invalid');

function encodeName(name: string): Buffer {
  const parts = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** Owner names of the records below: the question name (compression pointer 0xC00C), the root. */
const OWNER_QNAME = Buffer.of(0xc0, 0x0c);
const OWNER_ROOT = Buffer.of(0);

function record(owner: Buffer, type: number, ttl: number, rdata: Buffer): Buffer {
  const b = Buffer.alloc(owner.length + 10 + rdata.length);
  owner.copy(b, 0);
  const o = owner.length;
  b.writeUInt16BE(type, o);
  b.writeUInt16BE(1, o + 2);
  b.writeUInt32BE(ttl, o + 4);
  b.writeUInt16BE(rdata.length, o + 8);
  rdata.copy(b, o + 10);
  return b;
}

/**
 * SOA in the authority section so that clients cache the negative answer for `ttl` (RFC 2308).
 *
 * Owned by the root, not by the query name (issue 13). A negative answer's SOA names the apex of the
 * zone the name would be in, and an apex exists: a SOA owned by the blocked name tells a downstream
 * cache that the name exists. dnsmasq 2.90 then answers the next query for that name (any letter
 * case, any type) NOERROR from its cache. Any other ancestor fails the same way as soon as it is
 * itself a blocked name (`x.weixin.qq.com`'s SOA at `weixin.qq.com` turns `weixin.qq.com` NOERROR),
 * and an unblocked real parent (`qq.com`) has its SOA replaced by ours in dnsmasq's cache. The root
 * is an ancestor of every name, the apex of a real zone, and never a blocked name; Unbound, dnsmasq,
 * systemd-resolved and BIND accept it (the owner is at or below their forward zone `.`).
 * Tested with real dnsmasq and Unbound in test/dns/blocking/downstream-cache.test.ts.
 */
function soa(ttl: number): Buffer {
  const fixed = Buffer.alloc(20);
  fixed.writeUInt32BE(1, 0); // serial
  fixed.writeUInt32BE(1800, 4); // refresh
  fixed.writeUInt32BE(900, 8); // retry
  fixed.writeUInt32BE(604800, 12); // expire
  fixed.writeUInt32BE(ttl, 16); // minimum: the negative TTL
  return record(OWNER_ROOT, 6, ttl, Buffer.concat([MNAME, RNAME, fixed]));
}

function addressRecords(type: number, ttl: number, addrs: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  for (const a of addrs) {
    if (type === TYPE.A) {
      const v = parseIpv4(a);
      if (v < 0) continue;
      const b = Buffer.alloc(4);
      b.writeUInt32BE(v);
      out.push(record(OWNER_QNAME, type, ttl, b));
    } else {
      const w = new Uint32Array(4);
      if (parseIpv4(a) >= 0 || !parseIpv6(a, w)) continue;
      const b = Buffer.alloc(16);
      for (let i = 0; i < 4; i++) b.writeUInt32BE(w[i], i * 4);
      out.push(record(OWNER_QNAME, type, ttl, b));
    }
  }
  return out;
}

export function buildTemplates(action: BlockAction, ttl: number): Templates {
  const negative = soa(ttl);
  const nodata = wire(RCODE.NOERROR, negative, 0, 1);
  switch (action.kind) {
    case 'refused': {
      const t = wire(RCODE.REFUSED, Buffer.alloc(0), 0, 0);
      return { a: t, aaaa: t, other: t };
    }
    case 'nodata':
      return { a: nodata, aaaa: nodata, other: nodata };
    case 'null':
    case 'sinkhole': {
      const v4 = action.kind === 'null' ? ['0.0.0.0'] : (action.addresses ?? []);
      const v6 = action.kind === 'null' ? ['::'] : (action.addresses ?? []);
      const tail = (type: number, addrs: readonly string[]): Buffer => {
        const recs = addressRecords(type, ttl, addrs);
        return recs.length === 0 ? nodata : wire(RCODE.NOERROR, Buffer.concat(recs), recs.length, 0);
      };
      return { a: tail(TYPE.A, v4), aaaa: tail(TYPE.AAAA, v6), other: nodata };
    }
    default: {
      const t = wire(RCODE.NXDOMAIN, negative, 0, 1);
      return { a: t, aaaa: t, other: t };
    }
  }
}

/**
 * A whole block answer but its question: a header (ID 0, QDCOUNT 0, the counts of `records`) and the
 * records. The front end's encodeReply writes the client's ID, flags and question in front of the
 * records (it takes a header-only wire's records from offset 12), so the 0xC00C owner of an address
 * record points at the question name in the reply the client gets.
 */
function wire(rcode: number, records: Buffer, ancount: number, nscount: number): Buffer {
  const b = Buffer.alloc(12 + records.length);
  b[2] = 0x80; // QR
  b[3] = 0x80 | rcode; // RA, rcode
  b.writeUInt16BE(ancount, 6);
  b.writeUInt16BE(nscount, 8);
  records.copy(b, 12);
  return b;
}

/**
 * The block answer for `query`: one of the action's prebuilt wires, shared by every query, no
 * allocation and no copy. Writing a per-query wire (header + the query's question + the tail) cost
 * 1.7 µs of a blocked query's 28.8 µs under the profiler (bench/README.md, "Where a blocked query's
 * microseconds go"), and encodeReply then copied it all again into the reply.
 */
export function blockWire(query: DnsQuery, t: Templates): Buffer {
  const qtype = query.qtype;
  return qtype === TYPE.A ? t.a : qtype === TYPE.AAAA ? t.aaaa : t.other;
}

export type { Templates };
