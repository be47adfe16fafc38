// The shape of a guard link, written once: it answers some queries itself (a refusal, a synthesized
// answer) and hands the rest to the next link, so each guard says only which queries it answers and
// with what (the ACL, the rate limit, RFC 8482 for ANY). The other common shape, a link that shows
// every answer to an observer, is ./stats/answer-tap.ts.
//
// No promise, closure or allocation: a guard's own answers are built once or by the guard itself.
import { ChainedResolver, type DnsAnswer, type DnsQuery, type MaybePromise } from './resolver.ts';

/** A link that answers some queries itself; `answer` returns null for the ones the next link gets. */
export abstract class GuardResolver extends ChainedResolver {
  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    const own = this.answer(query);
    return own === null ? this.next.resolve(query) : own;
  }

  /** This link's own answer to `query`, or null to ask the next link. */
  protected abstract answer(query: DnsQuery): DnsAnswer | null;
}
