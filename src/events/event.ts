// One record of a decision that matters, from either layer. The DNS side and the proxy build it the
// same way (from a BlockMatch and what was asked), and every sink — the SQLite store, the JSON-lines
// file, syslog, dnstap — writes from this one shape, so no sink re-derives a field another has.
import type { BlockMatch, RuleRef } from '../policy/snapshot.ts';

export const EVENT_LAYERS = ['dns', 'proxy'] as const;
export type EventLayer = (typeof EVENT_LAYERS)[number];

export const EVENT_DECISIONS = ['blocked', 'allowed', 'monitored'] as const;
export type EventDecision = (typeof EVENT_DECISIONS)[number];

export interface PolicyEvent {
  /** Epoch ms when the query or request arrived. */
  readonly time: number;
  readonly client: string;
  /** The client group it was judged in ('' when the decision had no group, e.g. a refused client). */
  readonly group: string;
  /** A device identity where one is known: the proxy's Basic-auth user, a DoH path or DoT/DoH SNI. */
  readonly identity: string;
  readonly layer: EventLayer;
  /** udp, tcp, dot, doh (DNS); http, connect (proxy). */
  readonly protocol: string;
  /** The DNS name; for plain HTTP host and path; for CONNECT the SNI (or host) and the target. */
  readonly target: string;
  /** The query type mnemonic (A, AAAA, HTTPS…) or the HTTP method. */
  readonly kind: string;
  readonly decision: EventDecision;
  readonly app: string;
  readonly category: string;
  readonly list: string;
  readonly rule: string;
  /** Where the rule is written: `file:line`. */
  readonly source: string;
  /** What the client got: `NXDOMAIN EDE 15`, `NOERROR`, or the HTTP status as text. */
  readonly answer: string;
  readonly durationMs: number;
  /** The proxy decrypted the tunnel to judge the URL (selective interception). */
  readonly intercepted: boolean;
}

const sources = new WeakMap<RuleRef, string>();

/** A rule's `file:line`, built once per rule (a burst of blocks by one rule builds it once). */
export function sourceOf(rule: RuleRef): string {
  let s = sources.get(rule);
  if (s === undefined) {
    s = `${rule.source}:${rule.line}`;
    sources.set(rule, s);
  }
  return s;
}

/** The fields every event takes from the rule that decided it (empty strings when none did). */
export function ruleFields(
  match: BlockMatch | null | undefined,
): Pick<PolicyEvent, 'group' | 'app' | 'category' | 'list' | 'rule' | 'source'> {
  if (match === null || match === undefined) {
    return { group: '', app: '', category: '', list: '', rule: '', source: '' };
  }
  const r = match.rule;
  return {
    group: match.group,
    app: r.app,
    category: r.category,
    list: r.list,
    rule: r.rule,
    source: sourceOf(r),
  };
}

/**
 * An event as the store keeps it: identical repeats (same client, name, type, rule and answer)
 * within `events.foldWindow` are one row that counts them, like syslog's "last message repeated N
 * times". Every event is still on record: searches sum `count`.
 */
export interface FoldedEvent extends PolicyEvent {
  /** How many identical events this row stands for (1 when none was folded into it). */
  readonly count: number;
  /** Epoch ms of the last of them (`time` when count is 1). */
  readonly last: number;
}
