// Holds the current PolicySnapshot and swaps it. Loads run one at a time through a serial queue; each
// compiles a new snapshot off the serving path (compile.ts: list parsing yields to the event loop)
// and swaps it in with one assignment: readers take `store.current` once per request and never see
// half a policy. A config or list with errors throws, listing every problem with its key path, and
// the old snapshot keeps serving. Between loads the refresher (refresher.ts) keeps the lists current.
import type { LoadedConfig } from '../config/load.ts';
import type { Logger } from '../log.ts';
import type { PolicySnapshot } from './snapshot.ts';
import { compilePolicy, logReport, PolicyLoadError, type CompileReport } from './compile.ts';
import { ListRefresher, type RefresherOptions } from './refresher.ts';
import { CompileOffload } from './worker/compile-offload.ts';
import { loadSnapshot, saveSnapshot } from './snapshot-cache.ts';
import type { CompiledPolicy } from './compiled/compiled-policy.ts';
import type { ListSource } from './sources/list-source.ts';

export { PolicyLoadError, type CompileReport } from './compile.ts';
export type PolicyStoreOptions = RefresherOptions;

export class PolicyStore {
  current!: PolicySnapshot;
  /** The sources in use, their refresh timers, file watchers and live state (`health(name)`). */
  readonly refresher: ListRefresher;
  private readonly log: Logger;
  /** The config of the snapshot in force: what a list change recompiles. */
  private cfg: LoadedConfig | null = null;
  private generation = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private saving: Promise<void> = Promise.resolve();
  private closed = false;
  /**
   * Told of every recompile the refresher starts (a list file changed, a remote list refreshed):
   * `problems` is null when the new policy is in force. The app records these in the audit log.
   */
  onRecompile: ((reason: string, problems: readonly string[] | null) => void) | null = null;

  constructor(log: Logger, opts: PolicyStoreOptions = {}) {
    this.log = log;
    this.refresher = new ListRefresher(log, opts, (reason) => this.recompile(reason));
  }

  /** Compiles the policy of `cfg`; on success swaps it in, on error keeps the old one and throws. */
  load(cfg: LoadedConfig): Promise<CompileReport> {
    return this.serial(() => this.apply(cfg));
  }

  /** Compiles without swapping (and without the reload guard): what `banwall check` reports. */
  check(cfg: LoadedConfig): Promise<CompileReport> {
    return this.serial(
      async () => (await compilePolicy(cfg, this.refresher, undefined, this.generation + 1, this.log)).report,
    );
  }

  /** Stops refresh timers of remote lists and file watchers. */
  close(): void {
    this.closed = true;
    this.refresher.close();
  }

  /** Compiles `cfg` and swaps it in; runs inside the serial queue. */
  private async apply(cfg: LoadedConfig): Promise<CompileReport> {
    if (!this.current) {
      const fromFile = await loadSnapshot(cfg, this.refresher, this.generation + 1, this.log).catch(
        (err: Error) => {
          this.log.warn({ err: err.message }, 'policy snapshot not used; compiling the lists');
          return null;
        },
      );
      if (fromFile?.snapshot) {
        this.log.info({ generation: fromFile.snapshot.generation }, 'policy taken from the snapshot file');
        this.swap(cfg, fromFile.snapshot, fromFile.used, fromFile.report);
        // Remote lists are fetched once at every start: the snapshot holds their copy on disk.
        this.refresher.refreshRemoteOnce();
        return fromFile.report;
      }
    }
    // A reload compiles its big parts in a worker thread: the policy in force keeps answering.
    // The first load runs here: nothing is served yet, and a worker would only add its start.
    const offload = this.current ? new CompileOffload() : null;
    let compiled;
    try {
      compiled = await compilePolicy(
        cfg,
        this.refresher,
        this.current,
        this.generation + 1,
        this.log,
        offload,
      );
    } finally {
      offload?.close();
    }
    const { report, snapshot, used } = compiled;
    if (!snapshot) throw new PolicyLoadError(report);
    this.swap(cfg, snapshot, used, report);
    // Kept for the next start; writes one after another (never two at once into one temporary file).
    this.saving = this.saving
      .then(() => saveSnapshot(cfg, snapshot, used, this.log))
      .catch((err: Error) => this.log.warn({ err: err.message }, 'cannot write the policy snapshot file'));
    return report;
  }

  private swap(
    cfg: LoadedConfig,
    snapshot: CompiledPolicy,
    used: readonly ListSource[],
    report: CompileReport,
  ): void {
    this.generation = snapshot.generation;
    this.cfg = cfg;
    this.current = snapshot;
    this.refresher.track(used, cfg);
    logReport(report, this.log);
  }

  /** Resolves once the snapshot file of the last compile is written (tests, a clean stop). */
  snapshotWritten(): Promise<void> {
    return this.saving;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Recompiles the config in force after a list changed; resolves with the problems if refused. */
  private async recompile(reason: string): Promise<readonly string[] | null> {
    if (!this.cfg || this.closed) return null;
    try {
      // The config is read inside the queue: a reload queued before this one must not be undone
      // by recompiling the config that was current when the list changed.
      await this.serial(() => (this.cfg && !this.closed ? this.apply(this.cfg) : Promise.resolve(null)));
      this.log.info({ reason, generation: this.current.generation }, 'policy recompiled');
      this.onRecompile?.(reason, null);
      return null;
    } catch (err) {
      const problems = (err as PolicyLoadError).problems ?? [(err as Error).message];
      this.onRecompile?.(reason, problems);
      return problems;
    }
  }
}
