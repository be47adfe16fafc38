// Builds a DnsQuery for unit tests of single chain links, without a front end.
import type { DnsQuery, DnsAnswer, Resolver } from '../../src/dns/resolver.ts';
import { dnsQuery, queryPacket } from './dns-query.ts';

export { queryPacket };

export function makeQuery(client: string, name = 'example.test', qtype = 1, received = 0): DnsQuery {
  return dnsQuery({ client, name, qtype, received });
}

/** The link below the one under test: answers NOERROR and counts what reached it. */
export class CountingResolver implements Resolver {
  calls = 0;
  resolve(query: DnsQuery): DnsAnswer {
    this.calls++;
    const wire = Buffer.from(query.packet);
    wire[2] |= 0x80;
    return { wire, result: 'allowed' };
  }
}
