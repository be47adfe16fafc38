// `explain --resolve` and GET /api/explain?resolve=1: ask the upstreams for the name, as the resolver
// does on a cache miss, and judge the live answer the way the blocking link does (blocking-resolver.ts):
// the query name first (a blocked name is never forwarded), then every CNAME/DNAME target, then
// every A/AAAA address, with the same matchName/matchIp calls; the first match decides.
import { isIP } from 'node:net';
import type { DnsAnswer } from '../dns/resolver.ts';
import type { BlockMatch, PolicySnapshot } from '../policy/snapshot.ts';
import { internalQuery } from '../dns/internal-lookup.ts';
import { readAnswer } from '../dns/wire/answer-facts.ts';
import { explainName, toRule, type ExplainResult, type ExplainRule } from '../policy/explain.ts';
import type { ExplainInput } from './input.ts';
import type { LiveChain } from './live-chain.ts';

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export interface LiveItem {
  /** A CNAME/DNAME target or an address of the answer. */
  readonly value: string;
  readonly decision: 'blocked' | 'allowed';
  readonly rule?: ExplainRule;
}

/**
 * For a block: the rule that blocked the live answer and what the client gets instead, in the policy
 * answer's own terms (explainName decides both).
 */
export interface LiveJudgement extends Pick<ExplainResult, 'decidingRule' | 'answer'> {
  /**
   * blocked: the name, a target or an address is blocked; allowed: the answer goes to the client
   * as the upstream gave it; failed: no usable answer (the client gets SERVFAIL); not-asked: there is
   * nothing to resolve (an IP address).
   */
  readonly decision: 'blocked' | 'allowed' | 'failed' | 'not-asked';
  /** Whether the upstreams were asked (a blocked or special-use name never leaves banwall). */
  readonly asked: boolean;
  readonly note?: string;
  /** The upstream's rcode. */
  readonly rcode?: string;
  readonly targets: readonly LiveItem[];
  readonly addresses: readonly LiveItem[];
}

function item(value: string, m: BlockMatch | null): LiveItem {
  return m === null ? { value, decision: 'allowed' } : { value, decision: 'blocked', rule: toRule(m.rule) };
}

/** Asks `live` (local zones over the upstreams: no cache, no policy) and judges the answer with `policy`. */
export async function followLive(
  live: LiveChain,
  policy: PolicySnapshot,
  input: ExplainInput,
): Promise<LiveJudgement> {
  const none = { targets: [], addresses: [] };
  if (input.kind === 'ip' || isIP(input.host) !== 0) {
    return { decision: 'not-asked', asked: false, note: 'an IP address is not resolved', ...none };
  }
  const own = policy.matchName(input.host, input.client);
  if (own !== null) {
    return {
      decision: 'blocked',
      asked: false,
      note: 'the name itself is blocked: the resolver answers without asking upstream',
      decidingRule: toRule(own.rule),
      answer: explainName(policy, input.host, input.client, input.type).answer,
      ...none,
    };
  }
  const query = internalQuery(input.host, input.qtype, input.client);
  if (query === null) {
    return { decision: 'failed', asked: false, note: 'the name cannot be put in a DNS query', ...none };
  }
  const localBefore = live.local?.answered ?? 0;
  let answer: DnsAnswer;
  try {
    answer = await live.resolver.resolve(query);
  } catch (err) {
    return { decision: 'failed', asked: true, note: (err as Error).message, ...none };
  }
  // A special-use name (dns.localZones) is answered by banwall itself, as the resolver would.
  const asked = (live.local?.answered ?? 0) === localBefore;
  const where = asked ? {} : { note: 'a special-use name: banwall answers it itself (dns.localZones)' };
  const rcodeNumber = answer.wire.length >= 4 ? answer.wire[3] & 0x0f : 2;
  const rcode = RCODES[rcodeNumber] ?? `RCODE${rcodeNumber}`;
  if (answer.result === 'servfail' || rcodeNumber === 2) {
    return {
      decision: 'failed',
      asked: true,
      rcode,
      note: answer.ede?.text ?? 'the upstreams failed',
      ...none,
    };
  }
  const facts = answer.facts ?? readAnswer(answer.wire)?.facts ?? { targets: [], addresses: [] };
  const targets = facts.targets.map((t) => item(t, policy.matchName(t, input.client)));
  const addresses = facts.addresses.map((a) => item(a, policy.matchIp(a, input.client)));
  // The blocking link's order: targets, then addresses; the first match decides.
  const decider = [...targets, ...addresses].find((i) => i.decision === 'blocked');
  if (decider === undefined) return { decision: 'allowed', asked, ...where, rcode, targets, addresses };
  return {
    decision: 'blocked',
    asked,
    ...where,
    rcode,
    targets,
    addresses,
    decidingRule: decider.rule,
    answer: explainName(policy, decider.value, input.client, input.type).answer,
  };
}

/** Human-readable lines for the CLI, under formatExplain's. */
export function formatLive(live: LiveJudgement): string {
  const lines = [
    `  live answer: ${live.decision.toUpperCase()}${live.rcode ? ` (${live.asked ? 'upstream' : 'answered locally'} ${live.rcode})` : ''}`,
  ];
  if (live.note) lines.push(`    ${live.note}`);
  const where = (r: ExplainRule) =>
    `${r.rule}  (list ${r.list}, ${r.file}:${r.line}, ${r.app}/${r.category})`;
  for (const t of live.targets) {
    lines.push(`    CNAME ${t.value}: ${t.decision}${t.rule ? ` by ${where(t.rule)}` : ''}`);
  }
  for (const a of live.addresses) {
    lines.push(`    address ${a.value}: ${a.decision}${a.rule ? ` by ${where(a.rule)}` : ''}`);
  }
  if (live.decision === 'blocked' && live.answer) lines.push(`    the client gets: ${live.answer}`);
  return lines.join('\n');
}
