// One upstream resolution: a cache miss (shared by every identical miss that arrives meanwhile).
// It carries the outgoing query, how many attempts are in flight, what has been tried, and its place
// in the resolver's deadline list (an intrusive list: no timer per query).
import type { DnsAnswer, DnsQuery } from '../resolver.ts';
import type { UpstreamAnswer } from '../wire/answer-facts.ts';
import { buildOutgoingQuery } from './outgoing-query.ts';
import type { FailReason } from './transport.ts';
import type { Upstream } from './upstream.ts';

/** What decides about an exchange's attempts: the parallel-best group, or the health prober. */
export interface Strategy {
  onAnswer(ex: Exchange, up: Upstream, answer: UpstreamAnswer): void;
  onFailure(ex: Exchange, up: Upstream, reason: FailReason): void;
  hedge(ex: Exchange): void;
  giveUp(ex: Exchange): void;
}

/** What an exchange reports to when it ends (the upstream resolver). */
export interface ExchangeOwner {
  finished(ex: Exchange): void;
}

export class Exchange {
  readonly query: DnsQuery;
  readonly key: string;
  readonly started: number;
  /** The strategy (upstream group) racing this exchange; answers and failures report to it. */
  readonly strategy: Strategy;
  readonly promise: Promise<DnsAnswer>;
  private resolveAnswer!: (a: DnsAnswer) => void;
  private readonly owner: ExchangeOwner;
  private readonly template: Buffer;
  private templateUsed = false;
  done = false;
  /** Attempts sent and not yet answered, failed or expired. */
  inFlight = 0;
  readonly tried: Upstream[] = [];
  /** A network error or garbage was seen (EDE 23 rather than 22 on failure). */
  networkError = false;
  /** A SERVFAIL/REFUSED from an upstream: given when nothing better comes. */
  fallback: DnsAnswer | null = null;
  /** A TCP/DoT attempt already retried once after its connection closed. */
  streamRetried = false;
  prev: Exchange | null = null;
  next: Exchange | null = null;

  constructor(query: DnsQuery, key: string, strategy: Strategy, owner: ExchangeOwner, now: number) {
    this.query = query;
    this.key = key;
    this.owner = owner;
    this.strategy = strategy;
    this.started = now;
    this.template = buildOutgoingQuery(query);
    this.promise = new Promise<DnsAnswer>((resolve) => {
      this.resolveAnswer = resolve;
    });
  }

  /** The outgoing query for one attempt: the template itself the first time, then copies. */
  outgoing(): Buffer {
    if (this.templateUsed) return Buffer.from(this.template);
    this.templateUsed = true;
    return this.template;
  }

  outgoingCopy(): Buffer {
    return Buffer.from(this.template);
  }

  finish(answer: DnsAnswer): void {
    if (this.done) return;
    this.done = true;
    this.owner.finished(this);
    this.resolveAnswer(answer);
  }
}
