// The audit trail of the policy in force (src/audit/): what the app records at start, at each reload
// and at each recompile the refresher starts between reloads, with the facts (lists, digest) before
// and after. The audit log itself is imported only when `audit.enabled`, after DNS answers.
import type { Logger } from './log.ts';
import type { AuditLog, AuditEntry } from './audit/audit-log.ts';
import { policyChange, policyFacts, type PolicyFacts } from './audit/policy-change.ts';
import type { ListStatus } from './policy/refresher.ts';

export class AppAudit {
  private auditLog: AuditLog | null = null;
  /** What the last audit entry left in force: the `before` of the next change. */
  private lastFacts: PolicyFacts | null = null;

  private readonly lists: () => readonly ListStatus[];
  private readonly log: Logger;

  /** `lists`: the lists in force (the app's, with their live refresh state). */
  constructor(lists: () => readonly ListStatus[], log: Logger) {
    this.lists = lists;
    this.log = log;
  }

  /** Opens the audit log at `file` and records the start (`generation`: the policy's). */
  async open(file: string, generation: number): Promise<void> {
    const { AuditLog } = await import('./audit/audit-log.ts');
    this.auditLog = new AuditLog(file);
    this.record({
      actor: 'start',
      action: 'start',
      result: 'applied',
      generation,
      ...policyChange(null, this.facts()),
    });
  }

  /** The facts of the lists in force now (for a reload's `before`). */
  facts(): PolicyFacts {
    return policyFacts(this.lists());
  }

  tail(n: number): unknown[] | null {
    return this.auditLog?.tail(n) ?? null;
  }

  record(entry: AuditEntry): void {
    if (entry.result !== 'rejected') this.lastFacts = this.facts();
    try {
      this.auditLog?.append(entry);
    } catch (err) {
      this.log.error({ err }, 'cannot write the audit log');
    }
  }

  /**
   * A recompile the refresher started: a list file changed (`watch`) or a remote list refreshed.
   * `reloading`: whether a reload is running now.
   */
  recompiled(
    reason: string,
    problems: readonly string[] | null,
    generation: number,
    reloading: boolean,
  ): void {
    // A list file edited just before a reload: the watcher may recompile while the reload's config is
    // read (in a worker thread, 0.1–0.5 s). The reload reads the same files; its entry, with `before`
    // taken when it began, records the change once.
    if (reloading && reason === 'list file changed') return;
    const actor = reason === 'list file changed' ? 'watch' : 'refresh';
    const before = this.lastFacts;
    if (problems !== null) {
      this.record({
        actor,
        action: 'recompile',
        result: 'rejected',
        reason,
        generation,
        digestBefore: before?.digest,
        digestAfter: before?.digest,
        errors: problems.slice(0, 50),
      });
      return;
    }
    const after = this.facts();
    // Not a change: a watcher that fired for an edit a reload already applied, a refresh that
    // fetched the same list. The log is of changes to what is enforced.
    if (before !== null && after.digest === before.digest) return;
    this.record({
      actor,
      action: 'recompile',
      result: 'applied',
      reason,
      generation,
      ...policyChange(before, after),
    });
  }
}
