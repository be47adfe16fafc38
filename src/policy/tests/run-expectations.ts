// Runs policy tests against a compiled PolicySnapshot through the very calls that enforce
// (matchName, matchUrl, matchIp), so a passing test means the resolver and the proxy do the same.
// A list in monitor (dry-run) mode blocks nothing, so it satisfies no `block` expectation; the
// failure says it would block, so the fix (switch it to enforce) is plain.
import type { BlockMatch, PolicySnapshot } from '../snapshot.ts';
import type { Expectation } from './expectations.ts';

export interface ExpectationFailure {
  readonly expectation: Expectation;
  /** What the policy did instead, with the deciding rule. */
  readonly actual: string;
}

function decide(policy: PolicySnapshot, e: Expectation, monitored = false): BlockMatch | null {
  if (monitored) {
    if (e.kind === 'name') return policy.monitoredName?.(e.subject, e.client) ?? null;
    if (e.kind === 'ip') return policy.monitoredIp?.(e.subject, e.client) ?? null;
  }
  switch (e.kind) {
    case 'name':
      return policy.matchName(e.subject, e.client);
    case 'ip':
      return policy.matchIp(e.subject, e.client);
    case 'url': {
      const u = new URL(e.subject);
      const host = u.hostname
        .replace(/^\[|\]$/g, '')
        .toLowerCase()
        .replace(/\.$/, '');
      const target = { host, path: u.pathname, query: u.search.slice(1) };
      if (monitored) return policy.monitoredUrl?.(target, e.client) ?? null;
      return policy.matchUrl(target, e.client);
    }
  }
}

function describeMatch(m: BlockMatch): string {
  const r = m.rule;
  return `blocked by ${JSON.stringify(r.rule)} (list ${r.list}, ${r.app}/${r.category}, ${r.source}:${r.line})`;
}

export function runExpectations(
  policy: PolicySnapshot,
  expectations: readonly Expectation[],
): ExpectationFailure[] {
  const failures: ExpectationFailure[] = [];
  for (const e of expectations) {
    const m = decide(policy, e);
    if (e.expect === 'allow') {
      if (m !== null) failures.push({ expectation: e, actual: describeMatch(m) });
      continue;
    }
    if (m === null) {
      const would = decide(policy, e, true);
      const actual =
        would === null
          ? 'allowed (no block rule matched, or an allow rule won)'
          : `allowed: list ${would.rule.list} is in monitor mode (would be ${describeMatch(would)})`;
      failures.push({ expectation: e, actual });
    } else if (
      (e.app !== undefined && m.rule.app !== e.app) ||
      (e.category !== undefined && m.rule.category !== e.category)
    ) {
      failures.push({
        expectation: e,
        actual: `${describeMatch(m)}, not ${e.app}${e.category ? `/${e.category}` : ''}`,
      });
    }
  }
  return failures;
}

export function formatFailure(f: ExpectationFailure): string {
  const e = f.expectation;
  const want =
    e.expect === 'allow' ? 'allow' : `block${e.app ? ` ${e.app}${e.category ? `/${e.category}` : ''}` : ''}`;
  return `${e.file}:${e.line}: expected ${want} ${e.subject} (client ${e.client}); actual: ${f.actual}`;
}
