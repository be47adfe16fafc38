// Keeps the policy's sources current between reloads: remote lists are fetched again on their
// `refresh` timer (±10 % jitter), local list files are watched. Owns the sources and their live state
// (last success, refresh failures), which /api/status and the metrics read through `health()`; the
// snapshot only holds what was compiled into it.
import path from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import type { Logger } from '../log.ts';
import type { ListSummary } from './snapshot.ts';
import { maxShrinkOf, type SourcePool } from './compile.ts';
import { ListSource, sourceKey, type SourceSpec } from './sources/list-source.ts';
import { ListFileWatcher } from './sources/file-watcher.ts';

export interface RefresherOptions {
  /** Fetch remote lists again on their `refresh` interval (off for `banwall check`). */
  readonly refresh?: boolean;
  /** Recompile when a local list file changes. */
  readonly watch?: boolean;
}

/** Live per-list state: it moves without a recompile. */
export interface ListHealth {
  /** Epoch ms of the last successful read or fetch, 0 if never. */
  readonly lastSuccess: number;
  readonly refreshFailures: number;
}

/** A list of the snapshot in force with its live state, as /api/status shows it. */
export type ListStatus = ListSummary & ListHealth;

/** Recompiles the policy from the config in force; resolves with the problems when it was refused. */
export type Recompile = (reason: string) => Promise<readonly string[] | null>;

/** Refresh intervals are spread by ±10 % so that many instances do not fetch in step. */
const JITTER = 0.1;
/**
 * A list file change the policy refused (a file emptied, then written again a second later) is tried
 * again this many times, RETRY_MS apart, before the refusal is reported as final.
 */
const RETRIES = 3;
const RETRY_MS = 1000;

const NO_HEALTH: ListHealth = { lastSuccess: 0, refreshFailures: 0 };

export class ListRefresher implements SourcePool {
  private readonly log: Logger;
  private readonly refreshOn: boolean;
  private readonly recompile: Recompile;
  private readonly sources = new Map<string, ListSource>();
  /** The same sources by list name (names are unique across `lists` and `allow`). */
  private readonly byName = new Map<string, ListSource>();
  private readonly timers = new Map<ListSource, NodeJS.Timeout>();
  private readonly watcher: ListFileWatcher | null;
  private cfg: LoadedConfig | null = null;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(log: Logger, opts: RefresherOptions, recompile: Recompile) {
    this.log = log;
    this.refreshOn = opts.refresh ?? true;
    this.recompile = recompile;
    this.watcher = (opts.watch ?? true) ? new ListFileWatcher(log, () => this.filesChanged(0)) : null;
  }

  /** The source kept for `spec` (its last good contents and counters), or a new one. */
  sourceFor(spec: SourceSpec): ListSource {
    return this.sources.get(sourceKey(spec)) ?? new ListSource(spec);
  }

  /** The live state of list `name`, for /api/status and the metrics. */
  health(name: string): ListHealth {
    const s = this.byName.get(name);
    return s ? { lastSuccess: s.lastSuccess, refreshFailures: s.refreshFailures } : NO_HEALTH;
  }

  /** After a swap: keeps the sources `used`, drops the rest, starts their timers and watchers. */
  track(used: readonly ListSource[], cfg: LoadedConfig): void {
    if (this.closed) return;
    this.cfg = cfg;
    const keep = new Set(used.map((s) => sourceKey(s.spec)));
    for (const [k, s] of this.sources) {
      if (!keep.has(k)) {
        clearTimeout(this.timers.get(s));
        this.timers.delete(s);
        this.sources.delete(k);
      }
    }
    const files = new Set<string>();
    this.byName.clear();
    for (const s of used) {
      this.sources.set(sourceKey(s.spec), s);
      this.byName.set(s.spec.name, s);
      if (s.spec.kind === 'file') files.add(s.spec.location);
      if (s.spec.kind === 'url' && this.refreshOn && s.spec.refreshMs > 0 && !this.timers.has(s))
        this.schedule(s);
    }
    this.watcher?.watchFiles(files);
  }

  /**
   * Fetches every remote list once now (after a start from the policy snapshot file: a start always
   * asks for the current contents); a change recompiles as a timed refresh does.
   */
  refreshRemoteOnce(): void {
    for (const s of this.sources.values())
      if (s.spec.kind === 'url' && this.refreshOn) void this.refreshSource(s, true);
  }

  /** Stops refresh timers of remote lists and file watchers. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.watcher?.close();
  }

  /** A settled list file change: recompile; a refusal is retried (the file may not be whole yet). */
  private async filesChanged(attempt: number): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.closed) return;
    const problems = await this.recompile('list file changed');
    if (problems === null || this.closed) return;
    if (attempt < RETRIES) {
      this.log.warn(
        { errors: problems, retryMs: RETRY_MS, attempt: attempt + 1 },
        'list file refused, perhaps not yet written in full; the previous policy keeps serving, trying again',
      );
      this.retryTimer = setTimeout(() => void this.filesChanged(attempt + 1), RETRY_MS);
      this.retryTimer.unref();
      return;
    }
    this.log.error(
      { reason: 'list file changed', errors: problems },
      'recompile rejected; the previous policy keeps serving',
    );
  }

  private schedule(src: ListSource): void {
    // One timer per source: a refresh that recompiles passes through track(), which may have
    // scheduled this source already (the old store then ran two refresh chains for it).
    clearTimeout(this.timers.get(src));
    const base = src.spec.refreshMs;
    const delay = Math.max(1000, base * (1 - JITTER + 2 * JITTER * Math.random()));
    const timer = setTimeout(() => void this.refreshSource(src), delay);
    timer.unref();
    this.timers.set(src, timer);
  }

  private async refreshSource(src: ListSource, once = false): Promise<void> {
    if (!once) this.timers.delete(src);
    if (this.closed || !this.cfg) return;
    const cfg = this.cfg.config;
    const cacheDir = path.resolve(this.cfg.dir, cfg.blocking.cacheDir);
    const lastSuccess = src.lastSuccess;
    try {
      const changed = await src.refresh(
        cacheDir,
        { timeoutMs: cfg.blocking.fetchTimeout, maxBytes: cfg.blocking.maxListSize },
        this.log,
        maxShrinkOf(src.spec, cfg),
      );
      if (changed) {
        const problems = await this.recompile(`list ${src.spec.name} refreshed`);
        if (problems) {
          // Fetched but not in force (another list refused): a failure, as far as alerts go.
          src.refreshFailures++;
          src.lastSuccess = lastSuccess;
          this.log.error(
            { reason: `list ${src.spec.name} refreshed`, errors: problems },
            'recompile rejected; the previous policy keeps serving',
          );
        }
      }
    } catch (err) {
      src.refreshFailures++;
      this.log.warn(
        { list: src.spec.name, url: src.spec.location, err: (err as Error).message },
        'list refresh failed; keeping the previous contents',
      );
    } finally {
      if (!once && !this.closed && this.sources.get(sourceKey(src.spec)) === src) this.schedule(src);
    }
  }
}
