// Reload: re-read the config file and swap in a new policy (SIGHUP, POST /api/reload, an edit of the
// config file); on any error the old policy keeps serving. One reload runs at a time; requests made
// meanwhile share one more reload after it (QueuedReload).
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { LoadedConfig } from './config/config-error.ts';
import { loadConfigIsolated } from './config/load-isolated.ts';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import { PolicyLoadError, type CompileReport, type PolicyStore } from './policy/store.ts';
import type { ReloadResult } from './api/admin-ops.ts';
import type { ReloadStats } from './metrics/reload-stats.ts';
import type { AppAudit } from './app-audit.ts';
import { policyChange } from './audit/policy-change.ts';

/** Keys a reload applies; a change elsewhere needs a restart and is logged as such. */
const RELOADABLE: readonly (keyof Config)[] = ['lists', 'allow', 'groups', 'blocking'];

/** What a reload reads and changes in the app. */
export interface ReloadHost {
  readonly log: Logger;
  readonly policy: PolicyStore;
  readonly reloadStats: ReloadStats;
  readonly audit: AppAudit;
  /** The config in force. */
  loaded(): LoadedConfig;
  /** Puts `next` in force (its reloadable keys; the rest waits for a restart). */
  adopt(next: LoadedConfig): void;
  /** At every request, before it is queued or runs (the query-log file is reopened: logrotate). */
  requested(): void;
  /** After a policy went into force. */
  applied(): void;
}

/** A reload asked for while another runs: every asker's reason, the actor audited, the result. */
interface QueuedReload {
  readonly reasons: string[];
  actor: string;
  readonly result: Promise<ReloadResult>;
}

export class Reloads {
  private reloading: Promise<ReloadResult> | null = null;
  /** The one reload queued behind the one in progress (see reload): who asked, and its result. */
  private queued: QueuedReload | null = null;
  private watcher?: FSWatcher;
  private readonly host: ReloadHost;

  constructor(host: ReloadHost) {
    this.host = host;
  }

  /** Whether a reload is running now. */
  get running(): boolean {
    return this.reloading !== null;
  }

  /** Re-reads the config file and swaps in a new policy; on any error the old policy keeps serving. */
  reload(reason: string, actor = actorOf(reason)): Promise<ReloadResult> {
    this.host.requested();
    if (this.reloading) {
      // Coalesce: every request made while a reload runs shares one more reload after it. Not the
      // one in progress: it may have read the config before this caller's change, and the caller
      // (SIGHUP after an edit, POST /api/reload) is owed a result that includes it. That reload is
      // logged and audited under every requester's reason, so each can find its own line.
      let queued = this.queued;
      if (queued === null) {
        const reasons: string[] = [];
        const again = () => {
          this.queued = null;
          return this.reload(reasons.join(' + '), entry.actor);
        };
        const entry: QueuedReload = { reasons, actor, result: this.reloading.then(again, again) };
        queued = this.queued = entry;
      }
      if (!queued.reasons.includes(reason)) queued.reasons.push(reason);
      if (actor !== actorOf(reason)) queued.actor = actor; // a named person beats 'signal' or 'watch'
      return queued.result;
    }
    this.reloading = this.run(reason, actor).finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  /** Reloads when the config file changes (watching its directory). */
  watchConfig(): void {
    const { dir, file } = this.host.loaded();
    // Watch the directory: editors and ConfigMap updates replace the file rather than write to it.
    const base = path.basename(file);
    const log = this.host.log;
    let timer: NodeJS.Timeout | undefined;
    try {
      this.watcher = watch(dir, (_event, name) => {
        if (name !== null && name !== base && !name.startsWith('..data')) return;
        clearTimeout(timer);
        timer = setTimeout(() => void this.reload('config file changed'), 200);
      });
      this.watcher.on('error', (err) => log.warn({ err }, 'config watch failed; SIGHUP still reloads'));
      this.watcher.unref();
    } catch (err) {
      log.warn({ err }, 'cannot watch the config file; SIGHUP still reloads');
    }
  }

  close(): void {
    this.watcher?.close();
  }

  private async run(reason: string, actor: string): Promise<ReloadResult> {
    const { log, policy, reloadStats, audit } = this.host;
    const started = performance.now();
    const before = audit.facts();
    try {
      const current = this.host.loaded();
      const next = await loadConfigIsolated(current.file);
      const changed = (Object.keys(next.config) as (keyof Config)[]).filter(
        (k) => !RELOADABLE.includes(k) && !isDeepStrictEqual(next.config[k], current.config[k]),
      );
      if (changed.length > 0) {
        log.warn({ keys: changed }, 'config keys changed that apply only after a restart');
      }
      const report = await policy.load(next);
      this.host.adopt({
        ...next,
        config: { ...this.host.loaded().config, ...pick(next.config, RELOADABLE) },
      });
      reloadStats.record(true);
      this.host.applied();
      const ms = Math.round(performance.now() - started);
      log.info({ reason, generation: policy.current.generation, ms }, 'policy reloaded');
      const after = audit.facts();
      audit.record({
        actor,
        action: 'reload',
        result: after.digest === before.digest ? 'unchanged' : 'applied',
        reason,
        generation: policy.current.generation,
        ...policyChange(before, after),
      });
      return { ok: true, generation: policy.current.generation, errors: [], lists: listCounts(report) };
    } catch (err) {
      reloadStats.record(false);
      const errors = (err as { problems?: string[] }).problems ?? [(err as Error).message];
      log.error({ reason, errors }, 'reload rejected; the previous policy keeps serving');
      audit.record({
        actor,
        action: 'reload',
        result: 'rejected',
        reason,
        generation: policy.current?.generation ?? 0,
        digestBefore: before.digest,
        digestAfter: before.digest,
        errors: errors.slice(0, 50),
      });
      const report = err instanceof PolicyLoadError ? err.report : null;
      return {
        ok: false,
        generation: policy.current?.generation ?? 0,
        errors,
        ...(report ? { lists: listCounts(report) } : {}),
      };
    }
  }
}

/** Who a reload reason stands for in the audit log. */
function actorOf(reason: string): string {
  if (reason === 'SIGHUP') return 'signal';
  if (reason === 'config file changed') return 'watch';
  return reason;
}

/** Per list: rules loaded and bad lines skipped, for the start-up log and the reload answer. */
export function listCounts(report: CompileReport): { name: string; entries: number; badLines: number }[] {
  return report.lists.map((l) => ({ name: l.name, entries: l.entries, badLines: l.badCount }));
}

function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = obj[k];
  return out;
}
