// Hands every answer to the event ring (through answer-tap.ts), which decides (blocked, or sampled
// when every query is recorded) and turns it into an event for the store, the query-log file and
// the streams.
import type { Resolver } from '../resolver.ts';
import { AnswerTapResolver } from '../stats/answer-tap.ts';
import type { DnsEventRing } from './dns-event-ring.ts';

export class QueryLoggingResolver extends AnswerTapResolver {
  constructor(next: Resolver, ring: DnsEventRing) {
    super(next, ring);
  }
}
