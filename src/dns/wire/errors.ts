// Every answer banwall synthesizes from an rcode alone: REFUSED, FORMERR, NOTIMP, SERVFAIL, BADVERS
// and BADCOOKIE, with or without an Extended DNS Error (RFC 8914). The one place that builds them,
// for the front ends (UDP, TCP, DoT, DoH) and every link (ACL, rate limit, ANY, upstream).
//
// Each answer's wire is a bare 12-byte header, built once and shared, never modified. It needs no
// question of its own: encodeReply writes the query's question (0x20 case kept), banwall's flags (QR,
// RA, opcode, RD and CD as asked), and the OPT record carrying the extended rcode and the EDE. So a
// refusal or an error costs no allocation: a caller with a fixed EDE builds its answer once (e.g.
// `const ANSWER = refused(EDE_PROHIBITED)` at module level). A consumer that reads an answer's wire by
// itself (the proxy's internal lookup, the cache) finds the rcode at wire[3] and no records.
import type { DnsAnswer, Ede, Result } from '../resolver.ts';
import { EDE_CODE, RCODE } from './constants.ts';
import type { QueryError } from './parse-query.ts';

/** A header-only reply wire: QR, RA and the low 4 bits of `rcode`; counts 0. */
function headerWire(rcode: number): Buffer {
  const wire = Buffer.alloc(12);
  wire[2] = 0x80;
  wire[3] = 0x80 | (rcode & 0x0f);
  return wire;
}

const WIRES = new Map<number, Buffer>();

/**
 * The answer with full (12-bit) `rcode`, counted as `result`. Rcodes above 15 keep their upper
 * bits in `extendedRcode`, written into the reply's OPT record (RFC 6891 §6.1.3).
 */
export function rcodeAnswer(rcode: number, result: Result, ede?: Ede): DnsAnswer {
  let wire = WIRES.get(rcode);
  if (wire === undefined) WIRES.set(rcode, (wire = headerWire(rcode)));
  const a: { -readonly [K in keyof DnsAnswer]: DnsAnswer[K] } = { wire, result };
  if (rcode > 15) a.extendedRcode = rcode >> 4;
  if (ede !== undefined) a.ede = ede;
  return a;
}

/** An Extended DNS Error, frozen: one object shared by every answer that carries it. */
function ede(code: number, text: string): Ede {
  return Object.freeze({ code, text });
}

// The EDEs of the synthesized answers, one list so that an operator can read what banwall says why.
/** The ACL link: RFC 8914 code 18, "unable to respond to the request because of policy". */
export const EDE_PROHIBITED = ede(EDE_CODE.PROHIBITED, 'client not in dns.allowedClients');
/** The upstream link: no upstream answered within `dns.timeout`. */
export const EDE_NO_REACHABLE_AUTHORITY = ede(
  EDE_CODE.NO_REACHABLE_AUTHORITY,
  'no upstream answered in time',
);
/** The upstream link: every upstream failed at the network level. */
export const EDE_NETWORK_ERROR = ede(EDE_CODE.NETWORK_ERROR, 'upstream network error');
/** The upstream link: `dns.maxPending` queries are already waiting on upstreams. */
export const EDE_OVERLOADED = ede(EDE_CODE.OTHER, 'too many upstream queries in flight');

const FORMERR = rcodeAnswer(RCODE.FORMERR, 'formerr');
const NOTIMP = rcodeAnswer(RCODE.NOTIMP, 'formerr');
const BADVERS = rcodeAnswer(RCODE.BADVERS, 'formerr');
const SERVFAIL = rcodeAnswer(RCODE.SERVFAIL, 'servfail');
const REFUSED = rcodeAnswer(RCODE.REFUSED, 'refused');
const RATELIMITED = rcodeAnswer(RCODE.REFUSED, 'ratelimited');
const BADCOOKIE = rcodeAnswer(RCODE.BADCOOKIE, 'refused');
const COOKIE_ONLY = rcodeAnswer(RCODE.NOERROR, 'allowed');

/** SERVFAIL (result servfail: the cache neither stores it nor lets it hide a stale answer). */
export function servfail(ede?: Ede): DnsAnswer {
  return ede === undefined ? SERVFAIL : rcodeAnswer(RCODE.SERVFAIL, 'servfail', ede);
}

/** REFUSED, counted as `refused` (policy, ACL, `dns.any: refuse`) or `ratelimited`. */
export function refused(ede?: Ede, result: 'refused' | 'ratelimited' = 'refused'): DnsAnswer {
  if (ede === undefined) return result === 'refused' ? REFUSED : RATELIMITED;
  return rcodeAnswer(RCODE.REFUSED, result, ede);
}

/**
 * BADCOOKIE (RFC 7873 §5.2.3): the UDP front end's answer, instead of a truncated one, to a client
 * that sent a cookie but no valid server cookie, when only the amplification cap stood between it and
 * the whole answer. The reply carries a fresh server cookie; the client retries over UDP with it.
 */
export function badcookie(): DnsAnswer {
  return BADCOOKIE;
}

/**
 * The answer to a query the parser rejected (its `query` holds what could be read of the packet):
 * NOTIMP for an opcode other than QUERY, BADVERS for EDNS version > 0, FORMERR for the rest
 * (a broken question, two OPT records, a COOKIE option of a length RFC 7873 §5.2.2 forbids); and
 * NOERROR, empty, for a query that only asks for a server cookie (RFC 7873 §5.4).
 */
export function answerForError(err: QueryError): DnsAnswer {
  switch (err.rcode) {
    case RCODE.NOERROR:
      return COOKIE_ONLY;
    case RCODE.NOTIMP:
      return NOTIMP;
    case RCODE.BADVERS:
      return BADVERS;
    default:
      return FORMERR;
  }
}
