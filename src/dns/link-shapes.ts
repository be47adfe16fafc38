// The two shapes most links of the chain take, written once so that a link says only what it does:
//
// - a guard answers some queries itself (a refusal, a synthesized answer) and hands the rest on;
// - an observer watches every answer go by (counts it, logs it) and passes it up unchanged.
//
// Both keep the hit path as the links wrote it by hand: no promise, closure or allocation for a
// synchronous answer; only an answer that is already a promise gets a `.then`.
import {
  ChainedResolver,
  type DnsAnswer,
  type DnsQuery,
  type MaybePromise,
  type Resolver,
} from './resolver.ts';

/** A link that answers some queries itself; `answer` returns null for the ones the next link gets. */
export abstract class GuardResolver extends ChainedResolver {
  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    const own = this.answer(query);
    return own === null ? this.next.resolve(query) : own;
  }

  /** This link's own answer to `query`, or null to ask the next link. */
  protected abstract answer(query: DnsQuery): DnsAnswer | null;
}

/**
 * A link that hands every answer the links below it give to its `sink` (the counters, the event
 * ring), and changes none.
 */
export abstract class ObservingResolver<Sink> extends ChainedResolver {
  protected readonly sink: Sink;

  constructor(next: Resolver, sink: Sink) {
    super(next);
    this.sink = sink;
  }

  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    const answer = this.next.resolve(query);
    if (answer instanceof Promise) {
      return answer.then((a) => {
        this.observe(query, a);
        return a;
      });
    }
    this.observe(query, answer);
    return answer;
  }

  /** Gives one answer to the sink; called synchronously when the answer is. A rejection is not observed. */
  protected abstract observe(query: DnsQuery, answer: DnsAnswer): void;
}
