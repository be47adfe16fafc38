// For unit tests of single chain links without a front end: the link below the one under test, and
// the check that a protection link answered synchronously.
import assert from 'node:assert/strict';
import type { DnsQuery, DnsAnswer, MaybePromise, Resolver } from '../../src/dns/resolver.ts';

/** Answers NOERROR and counts what reached it. */
export class CountingResolver implements Resolver {
  calls = 0;
  resolve(query: DnsQuery): DnsAnswer {
    this.calls++;
    const wire = Buffer.from(query.packet);
    wire[2] |= 0x80;
    return { wire, result: 'allowed' };
  }
}

/** The answer of a link that must answer synchronously (the protection links never await). */
export function syncAnswer(a: MaybePromise<DnsAnswer>): DnsAnswer {
  assert.ok(!(a instanceof Promise), 'protection links answer synchronously');
  return a;
}

/** The rcode of an answer's wire. */
export const rcodeOfAnswer = (a: DnsAnswer): number => a.wire[3] & 0x0f;
