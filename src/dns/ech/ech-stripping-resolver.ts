// `dns.stripECH`: SVCB/HTTPS answers from the upstreams lose their `ech` SvcParam before the cache
// stores them, so cached answers are stripped too and a cache hit costs nothing extra. Only answers
// to SVCB/HTTPS questions are read; every other query passes through untouched.
import {
  ChainedResolver,
  mapAnswer,
  type DnsAnswer,
  type DnsQuery,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';
import { stripEch } from './strip-ech.ts';
import { TYPE } from '../wire/constants.ts';

export class EchStrippingResolver extends ChainedResolver {
  /** Answers rewritten (published as banwall_dns_ech_stripped_total). */
  stripped = 0;
  private readonly strip = (answer: DnsAnswer): DnsAnswer => {
    const s = stripEch(answer.wire, answer.ttlOffsets);
    if (s === null) return answer;
    this.stripped++;
    return { ...answer, wire: s.wire, ttlOffsets: s.ttlOffsets };
  };

  constructor(next: Resolver) {
    super(next);
  }

  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    if (query.qtype !== TYPE.HTTPS && query.qtype !== TYPE.SVCB) return this.next.resolve(query);
    return mapAnswer(this.next.resolve(query), this.strip);
  }
}
