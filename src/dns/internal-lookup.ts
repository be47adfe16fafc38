// Resolves a name through banwall's own resolver chain, for the HTTP proxy: the same cache, the same
// blocking link (query name, CNAME targets, answer addresses), judged in the group of the client the
// proxy is serving. The system resolver is never asked, so a device cannot reach through the proxy a
// name its own DNS would have refused.
import dns2 from 'dns2';
import { mapAnswer, type DnsAnswer, type DnsQuery, type MaybePromise, type Resolver } from './resolver.ts';
import type { BlockMatch } from '../policy/snapshot.ts';

const { Packet } = dns2;

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
const CLASS_IN = 1;

/** `ratelimited`: the client is over its `dns.rateLimit` budget, which the proxy's lookups share. */
export type LookupFailure = 'nxdomain' | 'nodata' | 'servfail' | 'refused' | 'invalid' | 'ratelimited';

export type LookupResult =
  | { readonly kind: 'addresses'; readonly addresses: readonly string[] }
  | { readonly kind: 'blocked'; readonly block: BlockMatch }
  | { readonly kind: 'failed'; readonly reason: LookupFailure };

const INVALID: LookupResult = { kind: 'failed', reason: 'invalid' };
const NXDOMAIN: LookupResult = { kind: 'failed', reason: 'nxdomain' };
const NODATA: LookupResult = { kind: 'failed', reason: 'nodata' };
const SERVFAIL: LookupResult = { kind: 'failed', reason: 'servfail' };
const REFUSED: LookupResult = { kind: 'failed', reason: 'refused' };
const RATELIMITED: LookupResult = { kind: 'failed', reason: 'ratelimited' };

let nextId = 1;

/**
 * Builds the query packet: a 12-byte header with RD set and one question. Hand-written because it
 * is a dozen bytes per proxied request and dns2's encoder builds a Packet object graph for it.
 * Returns null for a name that cannot be a DNS name (empty or over-long labels).
 */
export function buildQuery(name: string, qtype: number): { packet: Buffer; questionEnd: number } | null {
  if (name.length === 0 || name.length > 253) return null;
  const packet = Buffer.allocUnsafe(12 + name.length + 2 + 4);
  const id = nextId;
  nextId = (nextId + 1) & 0xffff || 1;
  packet.writeUInt16BE(id, 0);
  packet.writeUInt16BE(0x0100, 2); // RD
  packet.writeUInt16BE(1, 4);
  packet.writeUInt32BE(0, 6);
  packet.writeUInt16BE(0, 10);
  let p = 12;
  let start = 0;
  for (;;) {
    const dot = name.indexOf('.', start);
    const end = dot < 0 ? name.length : dot;
    const len = end - start;
    if (len === 0 || len > 63) return null;
    packet[p++] = len;
    for (let i = start; i < end; i++) {
      const c = name.charCodeAt(i);
      if (c > 0x7e || c <= 0x20) return null;
      packet[p++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
    if (dot < 0) break;
    start = dot + 1;
  }
  packet[p++] = 0;
  packet.writeUInt16BE(qtype, p);
  packet.writeUInt16BE(CLASS_IN, p + 2);
  return { packet, questionEnd: p + 4 };
}

/**
 * A query banwall asks itself on behalf of `client` (protocol `internal`): the proxy's lookups and
 * explain's live answer. Null for a name that cannot be a DNS name (see buildQuery).
 */
export function internalQuery(name: string, qtype: number, client: string): DnsQuery | null {
  const lower = name.toLowerCase();
  const built = buildQuery(lower, qtype);
  if (built === null) return null;
  return {
    packet: built.packet,
    id: built.packet.readUInt16BE(0),
    name: lower,
    qtype,
    qclass: CLASS_IN,
    questionEnd: built.questionEnd,
    rd: true,
    cd: false,
    edns: false,
    udpSize: 65535,
    doBit: false,
    // Not spoofable: the proxy has a TCP connection from this client; explain asks for its caller.
    cookie: true,
    client,
    protocol: 'internal',
    received: performance.now(),
  };
}

/** One question to the chain; see lookupAddresses for the A-then-AAAA policy the proxy uses. */
export function internalLookup(
  resolver: Resolver,
  name: string,
  client: string,
  qtype: number = TYPE_A,
): MaybePromise<LookupResult> {
  const query = internalQuery(name, qtype, client);
  if (query === null) return INVALID;
  let answer: MaybePromise<DnsAnswer>;
  try {
    answer = resolver.resolve(query);
  } catch {
    return SERVFAIL;
  }
  if (answer instanceof Promise) return answer.then((a) => toResult(a, qtype), failed);
  return toResult(answer, qtype);
}

function failed(): LookupResult {
  return SERVFAIL;
}

/**
 * The addresses to connect to for `name`: A first (one query, and what almost every origin has),
 * AAAA only when the name has no A record. A block on either answer blocks.
 */
export function lookupAddresses(
  resolver: Resolver,
  name: string,
  client: string,
): MaybePromise<LookupResult> {
  return mapAnswer(internalLookup(resolver, name, client, TYPE_A), (r) =>
    r.kind === 'failed' && r.reason === 'nodata' ? internalLookup(resolver, name, client, TYPE_AAAA) : r,
  ) as MaybePromise<LookupResult>;
}

function toResult(a: DnsAnswer, qtype: number): LookupResult {
  if (a.block) return { kind: 'blocked', block: a.block };
  switch (a.result) {
    case 'refused':
      return REFUSED;
    case 'ratelimited':
      return RATELIMITED;
    case 'servfail':
    case 'formerr':
      return SERVFAIL;
    default:
      break;
  }
  const wire = a.wire;
  if (wire.length < 12) return SERVFAIL;
  const rcode = wire[3] & 0x0f;
  if (rcode === 3) return NXDOMAIN;
  if (rcode === 5) return REFUSED;
  if (rcode !== 0) return SERVFAIL;
  const addresses = a.facts ? factsAddresses(a.facts.addresses, qtype) : parseAddresses(wire, qtype);
  return addresses.length > 0 ? { kind: 'addresses', addresses } : NODATA;
}

/** The upstream link extracted the answer's addresses already (both families): keep the asked one. */
function factsAddresses(all: readonly string[], qtype: number): readonly string[] {
  const v6 = qtype === TYPE_AAAA;
  let mixed = false;
  for (const a of all) {
    if (a.includes(':') !== v6) {
      mixed = true;
      break;
    }
  }
  return mixed ? all.filter((a) => a.includes(':') === v6) : all;
}

/** Slow path (an answer without facts, e.g. one built by a link): dns2 reads the records. */
function parseAddresses(wire: Buffer, qtype: number): readonly string[] {
  try {
    const packet = Packet.parse(wire);
    const out: string[] = [];
    for (const rr of packet.answers) {
      if (rr.type === qtype && typeof rr.address === 'string') out.push(rr.address);
    }
    return out;
  } catch {
    return [];
  }
}
