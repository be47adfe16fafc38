// The JSON-able answer to "why is this name (or address) blocked?", shared by `banwall explain` and
// the admin API's GET /api/explain.
import { isIP } from 'node:net';
import type { BlockAction, PolicySnapshot, RuleRef } from './snapshot.ts';

export interface ExplainRule {
  readonly list: string;
  readonly app: string;
  readonly category: string;
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly action: string;
  /** `monitor` for a rule of a list in dry-run mode. */
  readonly mode?: 'monitor';
}

export interface ExplainResult {
  readonly name: string;
  readonly client: string;
  readonly type: string;
  readonly group: string;
  readonly decision: 'blocked' | 'allowed';
  /** The block answer DNS gives (nxdomain, nodata, refused, null, sinkhole) when blocked. */
  readonly action?: string;
  readonly decidingRule?: ExplainRule;
  readonly blockRules: readonly ExplainRule[];
  readonly allowRules: readonly ExplainRule[];
  /**
   * When allowed only because the list is in monitor (dry-run) mode: the rule that would block once
   * the list is enforced ("would block"). Counted and recorded as a `monitored` event when it matches.
   */
  readonly wouldBlock?: ExplainRule;
  /** The allow rule that won over the block rules, if any. */
  readonly allowedBy?: ExplainRule;
  /** What the resolver answers for this type when blocked (e.g. `NXDOMAIN with SOA`, `A 0.0.0.0`). */
  readonly answer?: string;
  /** For a URL (`http://host/path?query`): the proxy's decision, host rules first, then URL rules. */
  readonly url?: { readonly blocked: boolean; readonly rule?: ExplainRule };
  readonly generation: number;
}

/** A rule as explain shows it (also the live judgement's, src/explain/live.ts). */
export function toRule(r: RuleRef): ExplainRule {
  return {
    list: r.list,
    app: r.app,
    category: r.category,
    file: r.source,
    line: r.line,
    rule: r.rule,
    action: r.action.kind,
    ...(r.monitor ? { mode: 'monitor' as const } : {}),
  };
}

/** What a block answer of `action` looks like for `type`. */
function answerFor(action: BlockAction, type: string): string {
  const addrs = (v6: boolean) => (action.addresses ?? []).filter((a) => a.includes(':') === v6);
  switch (action.kind) {
    case 'refused':
      return 'REFUSED';
    case 'nodata':
      return 'NODATA with SOA';
    case 'null':
      return type === 'A' ? 'A 0.0.0.0' : type === 'AAAA' ? 'AAAA ::' : 'NODATA with SOA';
    case 'sinkhole': {
      const list = type === 'A' ? addrs(false) : type === 'AAAA' ? addrs(true) : [];
      return list.length > 0 ? list.map((a) => `${type} ${a}`).join(', ') : 'NODATA with SOA';
    }
    default:
      return 'NXDOMAIN with SOA';
  }
}

export function explainName(
  policy: PolicySnapshot,
  name: string,
  client = '127.0.0.1',
  type = 'A',
): ExplainResult {
  name = name.trim();
  if (/^https?:\/\//i.test(name)) return explainUrl(policy, name, client, type);
  const e = policy.explain(name, client);
  const blockRules = e.blockRules.map(toRule);
  const allowRules = e.allowRules.map(toRule);
  const deciding = e.decidingRule ? toRule(e.decidingRule) : undefined;
  return {
    name: e.name,
    client,
    type: type.toUpperCase(),
    group: e.group,
    decision: e.blocked ? 'blocked' : 'allowed',
    ...(deciding ? { action: deciding.action, decidingRule: deciding } : {}),
    blockRules,
    allowRules,
    ...(e.wouldBlock ? { wouldBlock: toRule(e.wouldBlock) } : {}),
    ...(allowRules.length > 0 && blockRules.length > 0 ? { allowedBy: allowRules[0] } : {}),
    ...(e.decidingRule ? { answer: answerFor(e.decidingRule.action, type.toUpperCase()) } : {}),
    generation: policy.generation,
  };
}

/** A URL: the host explained as a name, plus the proxy's decision for the whole URL. */
function explainUrl(policy: PolicySnapshot, text: string, client: string, type: string): ExplainResult {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return explainName(policy, text.replace(/^https?:\/\//i, ''), client, type);
  }
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  // The proxy's decision, made by matchUrl's own code: host rules, IP rules, then URL rules.
  const e = policy.explain(host, client, { host, path: u.pathname, query: u.search.slice(1) });
  const rule = e.blocked && e.decidingRule ? toRule(e.decidingRule) : undefined;
  const allowRules = e.allowRules.map(toRule);
  const blockRules = e.blockRules.map(toRule);
  return {
    name: text,
    client,
    type: type.toUpperCase(),
    group: e.group,
    decision: rule ? 'blocked' : 'allowed',
    ...(rule ? { action: rule.action, decidingRule: rule } : {}),
    blockRules,
    allowRules,
    ...(e.wouldBlock ? { wouldBlock: toRule(e.wouldBlock) } : {}),
    ...(allowRules.length > 0 && blockRules.length > 0 ? { allowedBy: allowRules[0] } : {}),
    url: rule ? { blocked: true, rule } : { blocked: false },
    generation: policy.generation,
  };
}

/** Human-readable form for the CLI. */
export function formatExplain(r: ExplainResult): string {
  const where = (x: ExplainRule) =>
    `${x.rule}  (list ${x.list}, ${x.file}:${x.line}, ${x.app}/${x.category})`;
  const lines = [
    `${r.name} ${r.type} from ${r.client} (group ${r.group}): ${r.decision.toUpperCase()}` +
      (r.url
        ? ` (proxy: ${r.url.blocked ? 'refused with 403' : 'forwarded'})`
        : r.answer
          ? ` → ${r.answer}`
          : ''),
  ];
  if (r.decidingRule) lines.push(`  deciding rule: ${where(r.decidingRule)}`);
  if (r.wouldBlock) lines.push(`  WOULD BLOCK (list in monitor mode): ${where(r.wouldBlock)}`);
  if (r.allowedBy) lines.push(`  allowed by:    ${where(r.allowedBy)}`);
  for (const b of r.blockRules) lines.push(`  block ${where(b)}`);
  for (const a of r.allowRules) lines.push(`  allow ${where(a)}`);
  if (r.blockRules.length === 0 && r.allowRules.length === 0 && !r.decidingRule && !r.wouldBlock)
    lines.push('  no rule matched');
  if (isIP(r.name) === 0 && !r.url && r.decision === 'allowed' && r.blockRules.length === 0) {
    lines.push('  (URL rules apply in the proxy only; they are not consulted for a name)');
  }
  return lines.join('\n');
}
