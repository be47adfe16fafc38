// The JSON-able answer to "why is this name (or address) blocked?", shared by `banwall explain` and
// the admin API's GET /api/explain.
import { isIP } from 'node:net';
import type { PolicySnapshot, RuleRef } from './snapshot.ts';

export interface ExplainRule {
  readonly list: string;
  readonly app: string;
  readonly category: string;
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly action: string;
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
  /** The allow rule that won over the block rules, if any. */
  readonly allowedBy?: ExplainRule;
  readonly generation: number;
}

function toRule(r: RuleRef): ExplainRule {
  return {
    list: r.list,
    app: r.app,
    category: r.category,
    file: r.source,
    line: r.line,
    rule: r.rule,
    action: r.action.kind,
  };
}

export function explainName(
  policy: PolicySnapshot,
  name: string,
  client = '127.0.0.1',
  type = 'A',
): ExplainResult {
  const e = policy.explain(name.trim(), client);
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
    ...(allowRules.length > 0 && blockRules.length > 0 ? { allowedBy: allowRules[0] } : {}),
    generation: policy.generation,
  };
}

/** Human-readable form for the CLI. */
export function formatExplain(r: ExplainResult): string {
  const where = (x: ExplainRule) =>
    `${x.rule}  (list ${x.list}, ${x.file}:${x.line}, ${x.app}/${x.category})`;
  const lines = [
    `${r.name} ${r.type} from ${r.client} (group ${r.group}): ${r.decision.toUpperCase()}` +
      (r.action ? ` → ${r.action}` : ''),
  ];
  if (r.decidingRule) lines.push(`  deciding rule: ${where(r.decidingRule)}`);
  if (r.allowedBy) lines.push(`  allowed by:    ${where(r.allowedBy)}`);
  for (const b of r.blockRules) lines.push(`  block ${where(b)}`);
  for (const a of r.allowRules) lines.push(`  allow ${where(a)}`);
  if (r.blockRules.length === 0 && r.allowRules.length === 0) lines.push('  no rule matched');
  if (isIP(r.name) === 0 && r.decision === 'allowed' && r.blockRules.length === 0) {
    lines.push('  (URL rules apply in the proxy only; they are not consulted for a name)');
  }
  return lines.join('\n');
}
