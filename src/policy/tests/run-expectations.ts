// Runs policy tests against a compiled PolicySnapshot through the very calls that enforce
// (matchName, matchUrl, matchIp), so a passing test means the resolver and the proxy do the same.
import type { BlockMatch, PolicySnapshot } from '../snapshot.ts';
import type { Expectation } from './expectations.ts';

export interface ExpectationFailure {
  readonly expectation: Expectation;
  /** What the policy did instead, with the deciding rule. */
  readonly actual: string;
}

function decide(policy: PolicySnapshot, e: Expectation): BlockMatch | null {
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
      return policy.matchUrl({ host, path: u.pathname, query: u.search.slice(1) }, e.client);
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
      failures.push({ expectation: e, actual: 'allowed (no block rule matched, or an allow rule won)' });
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
