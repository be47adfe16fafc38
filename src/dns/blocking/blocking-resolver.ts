// STUB (owned by the policy helper): blocks by query name, CNAME targets and answer addresses.
import {
  ChainedResolver,
  type DnsQuery,
  type DnsAnswer,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';
import type { PolicyStore } from '../../policy/store.ts';
import type { Config } from '../../config/schema.ts';

export class BlockingResolver extends ChainedResolver {
  constructor(next: Resolver, _policy: PolicyStore, _cfg: Config['blocking']) {
    super(next);
  }
  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    return this.next.resolve(query);
  }
}
