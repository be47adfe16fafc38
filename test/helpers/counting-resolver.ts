// The link below the one under test, for unit tests of single chain links without a front end.
import type { DnsQuery, DnsAnswer, Resolver } from '../../src/dns/resolver.ts';

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
