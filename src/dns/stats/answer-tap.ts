// A link that passes every answer up unchanged and shows it to an observer on the way: the stats
// (StatsResolver) and the event ring (QueryLoggingResolver) are both this, with a different observer.
// A synchronous answer stays synchronous: no promise and no closure on the hit path; only an answer
// that is already a promise gets a `.then`. A link that throws or rejects is not observed here: the
// front end that catches it answers SERVFAIL and counts it (DnsStats.recordFrontend).
import {
  ChainedResolver,
  type DnsQuery,
  type DnsAnswer,
  type MaybePromise,
  type Resolver,
} from '../resolver.ts';

export interface AnswerObserver {
  /** Called once per answered query, on the hot path: must not allocate, wait or throw. */
  record(query: DnsQuery, answer: DnsAnswer): void;
}

export class AnswerTapResolver extends ChainedResolver {
  private readonly observer: AnswerObserver;
  constructor(next: Resolver, observer: AnswerObserver) {
    super(next);
    this.observer = observer;
  }

  resolve(query: DnsQuery): MaybePromise<DnsAnswer> {
    const answer = this.next.resolve(query);
    if (answer instanceof Promise) {
      return answer.then((a) => {
        this.observer.record(query, a);
        return a;
      });
    }
    this.observer.record(query, answer);
    return answer;
  }
}
