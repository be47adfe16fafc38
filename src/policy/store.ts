// Holds the current PolicySnapshot. A load compiles a new one off the serving path (list parsing
// yields to the event loop; the snapshot is built aside) and swaps it in with one assignment:
// readers take `store.current` once per request and never see half a policy. A config or list with
// errors throws, listing every problem with its key path, and the old snapshot keeps serving.
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { PolicySnapshot, BlockAction } from './snapshot.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { CompiledPolicy } from './compiled/compiled-policy.ts';
import type { ListMeta } from './compiled/list-meta.ts';
import { ListSource, SourceError, sourceKey, type SourceSpec } from './sources/list-source.ts';
import { isUrl, remoteUrlProblem } from './sources/remote-list.ts';
import type { BadLine } from './parse/parsed-list.ts';
import { broadRuleErrors } from './compiled/broad-guard.ts';

export interface CompileReport {
  /** Per-list counts and bad lines, for `banwall check` and the logs. */
  readonly lists: readonly {
    name: string;
    entries: number;
    /** All bad lines are counted; the first 1000 per list are kept here. */
    badLines: readonly BadLine[];
    badCount?: number;
    source?: string;
    format?: string;
  }[];
  /** Errors that make the policy unusable (unknown list in a group, unreadable file with no cached copy). */
  readonly errors: readonly string[];
  /** Problems that do not stop the policy (a remote list with no contents yet). */
  readonly warnings?: readonly string[];
}

export class PolicyLoadError extends Error {
  readonly code = 'BANWALL_POLICY';
  readonly problems: readonly string[];
  readonly report: CompileReport;
  constructor(report: CompileReport) {
    super(`policy rejected:\n${report.errors.map((e) => `  ${e}`).join('\n')}`);
    this.problems = report.errors;
    this.report = report;
  }
}

export interface PolicyStoreOptions {
  /** Fetch remote lists again on their `refresh` interval (off for `banwall check`). */
  readonly refresh?: boolean;
  /** Recompile when a local list file changes. */
  readonly watch?: boolean;
}

/** Refresh intervals are spread by ±10 % so that many instances do not fetch in step. */
const JITTER = 0.1;

export class PolicyStore {
  current!: PolicySnapshot;
  private readonly listeners: ((p: PolicySnapshot) => void)[] = [];
  private readonly log: Logger;
  private readonly opts: Required<PolicyStoreOptions>;
  private readonly sources = new Map<string, ListSource>();
  private readonly watchers = new Map<string, FSWatcher>();
  private cfg: LoadedConfig | null = null;
  private generation = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private watchTimer: NodeJS.Timeout | undefined;

  constructor(log: Logger, opts: PolicyStoreOptions = {}) {
    this.log = log;
    this.opts = { refresh: opts.refresh ?? true, watch: opts.watch ?? true };
  }

  /** Compiles the policy of `cfg`; on success swaps it in, on error keeps the old one and throws. */
  load(cfg: LoadedConfig): Promise<CompileReport> {
    return this.serial(() => this.apply(cfg));
  }

  /** Compiles `cfg` and swaps it in; runs inside the serial queue. */
  private async apply(cfg: LoadedConfig): Promise<CompileReport> {
    const { report, snapshot } = await this.compile(cfg);
    if (!snapshot) throw new PolicyLoadError(report);
    this.cfg = cfg;
    this.swap(snapshot);
    this.sync();
    for (const w of report.warnings ?? []) this.log.warn(w);
    for (const l of report.lists) {
      for (const b of l.badLines.slice(0, 20)) {
        this.log.warn(
          { list: l.name, file: l.source, line: b.line, text: b.text, reason: b.reason },
          'bad list line skipped',
        );
      }
    }
    return report;
  }

  /** Compiles without swapping: what `banwall check` reports. */
  check(cfg: LoadedConfig): Promise<CompileReport> {
    return this.serial(async () => (await this.compile(cfg)).report);
  }

  onSwap(fn: (p: PolicySnapshot) => void): void {
    this.listeners.push(fn);
  }

  /** Stops refresh timers of remote lists and file watchers. */
  close(): void {
    this.closed = true;
    clearTimeout(this.watchTimer);
    for (const s of this.sources.values()) clearTimeout(s.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private swap(snapshot: PolicySnapshot): void {
    this.current = snapshot;
    for (const fn of this.listeners) {
      try {
        fn(snapshot);
      } catch (err) {
        this.log.error({ err }, 'policy swap listener failed');
      }
    }
  }

  private async compile(
    loaded: LoadedConfig,
  ): Promise<{ report: CompileReport; snapshot: CompiledPolicy | null }> {
    const cfg = loaded.config;
    const errors: string[] = [];
    const warnings: string[] = [];
    const specs = this.specsOf(loaded, errors);
    const groupErrors = validateGroups(cfg);
    errors.push(...groupErrors);

    const fetchOpts = { timeoutMs: cfg.blocking.fetchTimeout, maxBytes: cfg.blocking.maxListSize };
    const cacheDir = path.resolve(loaded.dir, cfg.blocking.cacheDir);
    const used: ListSource[] = [];
    for (const spec of specs) {
      const key = sourceKey(spec);
      const src = this.sources.get(key) ?? new ListSource(spec);
      try {
        if (spec.kind === 'url') await src.initRemote(cacheDir, fetchOpts, this.log);
        else await src.syncLocal(cacheDir, this.log);
        if (src.unavailable) warnings.push(src.unavailable);
        used.push(src);
      } catch (err) {
        errors.push(
          err instanceof SourceError ? err.message : `${spec.keyPath}.source: ${(err as Error).message}`,
        );
      }
    }

    const lists: ListMeta[] = [];
    const reportLists: CompileReport['lists'][number][] = [];
    for (const src of used) {
      const parsed = src.parsed!;
      const isAllow = src.spec.keyPath.startsWith('allow');
      const conf = isAllow ? null : cfg.lists.find((l) => l.name === src.spec.name)!;
      const allowBroad = (conf ?? cfg.allow.find((a) => a.name === src.spec.name))?.allowBroad ?? false;
      const { keyPath, name, location: source } = src.spec;
      errors.push(...broadRuleErrors({ keyPath, name, source, allowBroad, allowSource: isAllow }, parsed));
      lists.push({
        name: src.spec.name,
        app: conf?.app ?? 'allow',
        category: conf?.category ?? 'core',
        source: src.spec.location,
        action: toAction(conf?.action ?? cfg.blocking.action),
        allowSource: isAllow,
        parsed,
        lastSuccess: src.lastSuccess,
        refreshFailures: src.refreshFailures,
        refreshInterval: src.spec.refreshMs,
        live: src,
      });
      reportLists.push({
        name: src.spec.name,
        entries: parsed.entries,
        badLines: parsed.badLines,
        badCount: parsed.badCount,
        source: src.spec.location,
        format: parsed.format,
      });
    }
    if (lists.length > 65_535) errors.push('lists: at most 65535 lists and allow sources');
    const report: CompileReport = { lists: reportLists, errors, warnings };
    if (errors.length > 0) return { report, snapshot: null };

    // Keep the sources in use (their parsed contents and timers), drop the rest.
    const keep = new Set(used.map((s) => sourceKey(s.spec)));
    for (const s of used) this.sources.set(sourceKey(s.spec), s);
    for (const [k, s] of this.sources) {
      if (!keep.has(k)) {
        clearTimeout(s.timer);
        this.sources.delete(k);
      }
    }
    const groups = cfg.groups.map((g) => ({
      name: g.name,
      clients: g.clients,
      lists: g.lists,
      allow: g.allow,
    }));
    const snapshot = new CompiledPolicy(++this.generation, lists, groups);
    return { report, snapshot };
  }

  private specsOf(loaded: LoadedConfig, errors: string[]): SourceSpec[] {
    const cfg = loaded.config;
    const specs: SourceSpec[] = [];
    const names = new Map<string, string>();
    const add = (
      keyPath: string,
      name: string,
      source: string | undefined,
      entries: readonly string[] | undefined,
      format: SourceSpec['format'],
      refresh: number | undefined,
    ) => {
      const seen = names.get(name);
      if (seen) errors.push(`${keyPath}.name: "${name}" is already the name of ${seen}`);
      names.set(name, keyPath);
      if (source === undefined) {
        specs.push({
          keyPath,
          name,
          kind: 'inline',
          location: `${loaded.file}#${keyPath}.entries`,
          format,
          refreshMs: 0,
          inline: entries,
        });
        return;
      }
      if (isUrl(source)) {
        const problem = remoteUrlProblem(source);
        if (problem) return void errors.push(`${keyPath}.source: ${problem}`);
        specs.push({ keyPath, name, kind: 'url', location: source, format, refreshMs: refresh ?? 0 });
      } else {
        specs.push({
          keyPath,
          name,
          kind: 'file',
          location: path.resolve(loaded.dir, source),
          format,
          refreshMs: 0,
        });
      }
      if (entries) errors.push(`${keyPath}: give \`source\` or \`entries\`, not both`);
    };
    cfg.lists.forEach((l, i) => add(`lists[${i}]`, l.name, l.source, undefined, l.format, l.refresh));
    cfg.allow.forEach((a, i) => add(`allow[${i}]`, a.name, a.source, a.entries, a.format, a.refresh));
    return specs;
  }

  /** Starts refresh timers for remote lists and watchers for local files in use. */
  private sync(): void {
    if (this.closed) return;
    const dirs = new Set<string>();
    for (const src of this.sources.values()) {
      if (src.spec.kind === 'url' && this.opts.refresh && src.spec.refreshMs > 0 && !src.timer)
        this.schedule(src);
      if (src.spec.kind === 'file') dirs.add(path.dirname(src.spec.location));
    }
    if (!this.opts.watch) return;
    for (const [dir, w] of this.watchers) {
      if (!dirs.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, (_e, file) => {
          if (
            file !== null &&
            ![...this.sources.values()].some((s) => s.spec.location === path.join(dir, file))
          )
            return;
          clearTimeout(this.watchTimer);
          this.watchTimer = setTimeout(() => void this.recompile('list file changed'), 200);
        });
        w.on('error', (err) => this.log.warn({ dir, err: err.message }, 'list watch failed'));
        w.unref();
        this.watchers.set(dir, w);
      } catch (err) {
        this.log.warn({ dir, err: (err as Error).message }, 'cannot watch list files');
      }
    }
  }

  private schedule(src: ListSource): void {
    const base = src.spec.refreshMs;
    const delay = Math.max(1000, base * (1 - JITTER + 2 * JITTER * Math.random()));
    src.timer = setTimeout(() => void this.refreshSource(src), delay);
    src.timer.unref();
  }

  private async refreshSource(src: ListSource): Promise<void> {
    src.timer = undefined;
    if (this.closed || !this.cfg) return;
    const cfg = this.cfg.config;
    const cacheDir = path.resolve(this.cfg.dir, cfg.blocking.cacheDir);
    try {
      const changed = await src.refresh(
        cacheDir,
        { timeoutMs: cfg.blocking.fetchTimeout, maxBytes: cfg.blocking.maxListSize },
        this.log,
      );
      if (changed) await this.recompile(`list ${src.spec.name} refreshed`);
    } catch (err) {
      src.refreshFailures++;
      this.log.warn(
        { list: src.spec.name, url: src.spec.location, err: (err as Error).message },
        'list refresh failed; keeping the previous contents',
      );
    } finally {
      if (!this.closed && this.sources.get(sourceKey(src.spec)) === src) this.schedule(src);
    }
  }

  /** Live per-list status (refresh counters move without a recompile), for metrics and the API. */
  listStatus(): {
    name: string;
    app: string;
    category: string;
    entries: number;
    lastSuccess: number;
    refreshFailures: number;
  }[] {
    return (this.current?.lists() ?? []).map((l) => ({
      name: l.name,
      app: l.app,
      category: l.category,
      entries: l.entries,
      lastSuccess: l.lastSuccess,
      refreshFailures: l.refreshFailures,
    }));
  }

  private async recompile(reason: string | null): Promise<void> {
    if (!this.cfg || this.closed) return;
    try {
      // The config is read inside the queue: a reload queued before this one must not be undone
      // by recompiling the config that was current when the list changed.
      await this.serial(() => (this.cfg && !this.closed ? this.apply(this.cfg) : Promise.resolve(null)));
      if (reason) this.log.info({ reason, generation: this.current.generation }, 'policy recompiled');
    } catch (err) {
      const problems = (err as PolicyLoadError).problems ?? [(err as Error).message];
      this.log.error({ reason, errors: problems }, 'recompile rejected; the previous policy keeps serving');
    }
  }
}

function toAction(a: Config['blocking']['action']): BlockAction {
  return typeof a === 'string' ? { kind: a } : { kind: a.kind, addresses: a.addresses };
}

function validateGroups(cfg: Config): string[] {
  const errors: string[] = [];
  const lists = new Set(cfg.lists.map((l) => l.name));
  const allows = new Set(cfg.allow.map((a) => a.name));
  const seen = new Set<string>();
  cfg.groups.forEach((g, i) => {
    if (seen.has(g.name)) errors.push(`groups[${i}].name: duplicate group "${g.name}"`);
    seen.add(g.name);
    g.lists.forEach((l, j) => {
      if (!lists.has(l)) errors.push(`groups[${i}].lists[${j}]: unknown list "${l}"`);
    });
    g.allow?.forEach((a, j) => {
      if (!allows.has(a)) errors.push(`groups[${i}].allow[${j}]: unknown allow entry "${a}"`);
    });
    if (g.name !== 'default' && g.clients.length === 0)
      errors.push(`groups[${i}].clients: a group other than "default" needs client ranges`);
  });
  return errors;
}
