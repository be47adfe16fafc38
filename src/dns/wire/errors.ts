// Error answers (FORMERR, SERVFAIL, REFUSED, NOTIMP, BADVERS) as DnsAnswer objects, for the front end
// and for any link of the chain. Each wire is a bare header (no question: encodeReply writes the
// query's own), shared and never modified, so an error costs no allocation unless it carries EDE text.
import type { DnsAnswer, Ede, Result } from '../resolver.ts';
import { RCODE } from './constants.ts';
import type { QueryError } from './parse-query.ts';

/** A header-only reply wire with `rcode` (low 4 bits) and RA set. */
export function headerWire(rcode: number): Buffer {
  const wire = Buffer.alloc(12);
  wire[2] = 0x80;
  wire[3] = 0x80 | (rcode & 0x0f);
  return wire;
}

function answer(rcode: number, result: Result, ede?: Ede): DnsAnswer {
  const a: { -readonly [K in keyof DnsAnswer]: DnsAnswer[K] } = { wire: headerWire(rcode), result };
  if (rcode > 15) a.extendedRcode = rcode >> 4;
  if (ede !== undefined) a.ede = ede;
  return a;
}

const FORMERR = answer(RCODE.FORMERR, 'formerr');
const SERVFAIL = answer(RCODE.SERVFAIL, 'servfail');
const REFUSED = answer(RCODE.REFUSED, 'refused');
const NOTIMP = answer(RCODE.NOTIMP, 'formerr');
const BADVERS = answer(RCODE.BADVERS, 'formerr');

export function formerr(): DnsAnswer {
  return FORMERR;
}

/** BADVERS (RFC 6891 §6.1.3): rcode 16, written as extended rcode 1 in the reply's OPT record. */
export function badvers(): DnsAnswer {
  return BADVERS;
}

export function servfail(ede?: Ede): DnsAnswer {
  return ede === undefined ? SERVFAIL : { wire: SERVFAIL.wire, result: 'servfail', ede };
}

export function refused(ede?: Ede, result: Result = 'refused'): DnsAnswer {
  return ede === undefined && result === 'refused' ? REFUSED : { wire: REFUSED.wire, result, ede };
}

/** The answer to a query the parser rejected (its `query` holds what could be read of the packet). */
export function answerForError(err: QueryError): DnsAnswer {
  switch (err.rcode) {
    case RCODE.NOTIMP:
      return NOTIMP;
    case RCODE.BADVERS:
      return BADVERS;
    default:
      return FORMERR;
  }
}
