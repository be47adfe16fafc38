// What changed between two policies, for the audit log: lists added and removed, entry counts that
// moved, and a digest of each side. The digest covers every list's name, app, category, source,
// action and entry count, so any change to what is enforced changes it.
import { createHash } from 'node:crypto';
import type { ListSummary } from '../policy/snapshot.ts';
import type { AuditEntry } from './audit-log.ts';

export interface PolicyFacts {
  readonly digest: string;
  readonly entries: ReadonlyMap<string, number>;
}

export function policyFacts(lists: readonly ListSummary[]): PolicyFacts {
  const sorted = [...lists].sort((a, b) => a.name.localeCompare(b.name));
  const h = createHash('sha256');
  for (const l of sorted) {
    h.update(JSON.stringify([l.name, l.app, l.category, l.source, l.entries, l.badLines]));
    h.update('\n');
  }
  return { digest: h.digest('hex'), entries: new Map(sorted.map((l) => [l.name, l.entries])) };
}

/** The `what` of an audit entry: lists added and removed, and entry counts before and after. */
export function policyChange(
  before: PolicyFacts | null,
  after: PolicyFacts,
): Pick<AuditEntry, 'digestBefore' | 'digestAfter' | 'listsAdded' | 'listsRemoved' | 'entries'> {
  const old = before?.entries ?? new Map<string, number>();
  const entries: Record<string, { before: number; after: number }> = {};
  for (const [name, n] of after.entries) {
    const was = old.get(name);
    if (was !== n) entries[name] = { before: was ?? 0, after: n };
  }
  for (const [name, was] of old) if (!after.entries.has(name)) entries[name] = { before: was, after: 0 };
  return {
    digestBefore: before?.digest,
    digestAfter: after.digest,
    listsAdded: [...after.entries.keys()].filter((n) => !old.has(n)),
    listsRemoved: [...old.keys()].filter((n) => !after.entries.has(n)),
    entries,
  };
}
