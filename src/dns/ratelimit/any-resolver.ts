// STUB (owned by the hardening helper): RFC 8482 minimal answers to ANY.
import {
  ChainedResolver,
  type DnsQuery,
  type DnsAnswer,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';

export class AnyResolver extends ChainedResolver {
  constructor(next: Resolver, _mode: 'minimal' | 'refuse') {
    super(next);
  }
  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    return this.next.resolve(query);
  }
}
