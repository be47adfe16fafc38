// STUB (owned by the hardening helper): REFUSED for clients outside dns.allowedClients.
import {
  ChainedResolver,
  type DnsQuery,
  type DnsAnswer,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';

export class AclResolver extends ChainedResolver {
  constructor(next: Resolver, _allowed: readonly string[]) {
    super(next);
  }
  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    return this.next.resolve(query);
  }
}
