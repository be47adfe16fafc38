// RFC 8482 for ANY queries (`dns.any`): `minimal` answers with one synthesized HINFO "RFC8482" ""
// record, `refuse` with REFUSED. ANY is the classic amplification query (a small question, every
// record of a name in the answer); neither mode asks the upstream or the cache. The link sits below
// the blocking link, so a blocked name never gets here: it gets the block answer for ANY too.
import type { DnsAnswer, DnsQuery, Resolver } from '../resolver.ts';
import { GuardResolver } from '../guard-resolver.ts';
import { HINFO_TTL, hinfoAnswer } from './synthesize.ts';
import { refused } from '../wire/errors.ts';

const TYPE_ANY = 255;
const REFUSED = refused();

export class AnyResolver extends GuardResolver {
  private readonly refuse: boolean;

  constructor(next: Resolver, mode: 'minimal' | 'refuse') {
    super(next);
    this.refuse = mode === 'refuse';
  }

  protected answer(query: DnsQuery): DnsAnswer | null {
    if (query.qtype !== TYPE_ANY) return null;
    if (this.refuse) return REFUSED;
    const { wire, ttlOffset } = hinfoAnswer(query);
    return { wire, result: 'allowed', ttl: HINFO_TTL, ttlOffsets: Uint16Array.of(ttlOffset) };
  }
}
