// From a validated config to a compiled snapshot: the config's lists and allow entries become source
// specs, each source is brought up to date (files re-read when changed, remote lists fetched once),
// the reload guard compares every list with the policy in force, the broad-rule guard refuses rules
// that match a whole TLD or everything (compiled/broad-guard.ts), and a CompiledPolicy is built aside.
// The report says per list what was loaded and which lines were bad; errors make the policy unusable.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { BlockAction, PolicySnapshot } from './snapshot.ts';
import { isMonitored, unenforcedLists } from './config-rules.ts';
import { CompiledPolicy } from './compiled/compiled-policy.ts';
import type { ListMeta } from './compiled/list-meta.ts';
import type { NameTable } from './match/name-table.ts';
import type { CompileOffload } from './worker/compile-offload.ts';
import { broadRuleErrors, type BroadGuardList } from './compiled/broad-guard.ts';
import { shrinksTooMuch, SourceError, type ListSource, type SourceSpec } from './sources/list-source.ts';
import { isUrl, remoteUrlProblem } from './sources/remote-list.ts';
import type { BadLine, ParsedList } from './parse/parsed-list.ts';
import { parseExpectations } from './tests/expectations.ts';
import { formatFailure, runExpectations } from './tests/run-expectations.ts';

export interface ListReport {
  readonly name: string;
  readonly entries: number;
  /** The first bad lines (parse keeps 1000 per list); `badCount` counts them all. */
  readonly badLines: readonly BadLine[];
  readonly badCount: number;
  readonly source: string;
  readonly format?: string;
  /** Set when the list's contents were refused (mostly bad lines, or a shrink over the limit). */
  readonly refused?: string;
}

export interface CompileReport {
  /** Per-list counts and bad lines, for `banwall check`, the reload answer and the logs. */
  readonly lists: readonly ListReport[];
  /** Errors that make the policy unusable (unreadable file with no cached copy, a refused list). */
  readonly errors: readonly string[];
  /** Problems that do not stop the policy (a remote list with no contents yet). */
  readonly warnings: readonly string[];
  /** Lists no client is judged by: defined under `lists:` but named by no group. */
  /** The policy tests run (`tests:`), when the lists compiled. */
  readonly tests?: PolicyTestSummary;
  readonly unenforced: readonly {
    readonly keyPath: string;
    readonly name: string;
    readonly unused: boolean;
  }[];
}

export interface PolicyTestSummary {
  readonly files: number;
  readonly expectations: number;
  /** Expectations that failed, and unreadable files or lines. */
  readonly failed: number;
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

/**
 * Below this many names a table is built on the main thread: it takes a few ms, less than starting
 * the compile worker.
 */
const OFFLOAD_MIN_NAMES = 50_000;

/** Where compile gets the source of a spec: the one kept from earlier loads (its parse reused), or new. */
export interface SourcePool {
  sourceFor(spec: SourceSpec): ListSource;
}

export interface Compiled {
  readonly report: CompileReport;
  /** Null when the report has errors. */
  readonly snapshot: CompiledPolicy | null;
  /** The sources the snapshot was built from. */
  readonly used: readonly ListSource[];
}

/**
 * Compiles `loaded`. With `inForce` (the snapshot serving now), a list whose entry count falls by more
 * than its `maxShrink` share is refused: an emptied or half-written file must not unblock names.
 * With `offload` (a reload), big list files are read and the name table is built in the compile
 * worker; everything else (guards, reports, policy tests) runs here as at start.
 */
export async function compilePolicy(
  loaded: LoadedConfig,
  pool: SourcePool,
  inForce: PolicySnapshot | undefined,
  generation: number,
  log: Logger,
  offload: CompileOffload | null = null,
): Promise<Compiled> {
  const cfg = loaded.config;
  const errors: string[] = [];
  const warnings: string[] = [];
  const reports: ListReport[] = [];
  const specs = listSpecs(loaded, errors);
  const fetchOpts = { timeoutMs: cfg.blocking.fetchTimeout, maxBytes: cfg.blocking.maxListSize };
  const cacheDir = path.resolve(loaded.dir, cfg.blocking.cacheDir);
  const inForceEntries = new Map((inForce?.lists() ?? []).map((l) => [l.name, l.entries]));

  const used: ListSource[] = [];
  for (const spec of specs) {
    const src = pool.sourceFor(spec);
    try {
      if (spec.kind === 'url') await src.initRemote(cacheDir, fetchOpts, log);
      else await src.syncLocal(cacheDir, log, offload);
      if (src.unavailable) warnings.push(src.unavailable);
    } catch (err) {
      const message =
        err instanceof SourceError ? err.message : `${spec.keyPath}.source: ${(err as Error).message}`;
      errors.push(message);
      if (err instanceof SourceError && err.parsed) reports.push(listReport(spec, err.parsed, message));
      continue;
    }
    const parsed = src.parsed!;
    const shrink = shrinkProblem(spec, parsed.entries, inForceEntries.get(spec.name), cfg);
    if (shrink) errors.push(shrink);
    errors.push(...broadRuleErrors(broadGuardList(spec, cfg), parsed));
    reports.push(listReport(spec, parsed, shrink ?? undefined));
    used.push(src);
  }

  const report: CompileReport = { lists: reports, errors, warnings, unenforced: unenforcedOf(cfg) };
  if (errors.length > 0) return { report, snapshot: null, used };

  const builders = used.map((src) => src.parsed!.names);
  let names: NameTable | undefined;
  if (offload && builders.reduce((n, b) => n + b.count, 0) >= OFFLOAD_MIN_NAMES) {
    try {
      names = await offload.buildTable(builders);
    } catch (err) {
      return {
        report: { ...report, errors: [`policy not compiled: ${(err as Error).message}`] },
        snapshot: null,
        used,
      };
    }
  }
  return finishPolicy(loaded, used, report, generation, names);
}

/**
 * The policy of `used` (sources in config order, their contents in hand) with its name table
 * (built here when not given), judged by the policy tests: the same end for a compile and for a
 * start from the policy snapshot file.
 */
export async function finishPolicy(
  loaded: LoadedConfig,
  used: readonly ListSource[],
  report: CompileReport,
  generation: number,
  names?: NameTable,
): Promise<Compiled> {
  const cfg = loaded.config;
  const lists = used.map((src) => listMeta(src, cfg));
  const groups = cfg.groups.map((g) => ({
    name: g.name,
    clients: g.clients,
    lists: g.lists,
    allow: g.allow,
  }));
  const snapshot = new CompiledPolicy(generation, lists, groups, names);
  // The policy tests judge the new policy through the calls that enforce: a list edit that breaks
  // one is refused like a broken list, and the policy in force keeps serving.
  const tested = await runPolicyTests(loaded, snapshot);
  const withTests: CompileReport = { ...report, tests: tested.summary };
  if (tested.errors.length > 0) {
    return { report: { ...withTests, errors: [...report.errors, ...tested.errors] }, snapshot: null, used };
  }
  return { report: withTests, snapshot, used };
}

/** Lists no client is judged by: defined under `lists:` but named by no group. */
export function unenforcedOf(cfg: Config): CompileReport['unenforced'] {
  return unenforcedLists(cfg).map((l) => ({ keyPath: `lists[${l.index}]`, name: l.name, unused: l.unused }));
}

/** Reads and runs every `tests:` file; errors name file:line. */
async function runPolicyTests(
  loaded: LoadedConfig,
  snapshot: PolicySnapshot,
): Promise<{ errors: string[]; summary: PolicyTestSummary }> {
  const errors: string[] = [];
  let expectations = 0;
  for (const [i, file] of loaded.config.tests.entries()) {
    const full = path.resolve(loaded.dir, file);
    let text: string;
    try {
      text = await readFile(full, 'utf8');
    } catch (err) {
      errors.push(
        `tests[${i}]: cannot read ${full}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
      continue;
    }
    const parsed = parseExpectations(text, file);
    errors.push(...parsed.errors);
    expectations += parsed.expectations.length;
    for (const f of runExpectations(snapshot, parsed.expectations))
      errors.push(`policy test failed: ${formatFailure(f)}`);
  }
  return { errors, summary: { files: loaded.config.tests.length, expectations, failed: errors.length } };
}

/** The reload guard: the refusal message when `entries` is below what `maxShrink` lets a list drop to. */
function shrinkProblem(
  spec: SourceSpec,
  entries: number,
  before: number | undefined,
  cfg: Config,
): string | null {
  const maxShrink = maxShrinkOf(spec, cfg);
  if (before === undefined || !shrinksTooMuch(before, entries, maxShrink)) return null;
  const conf = cfg.lists.find((l) => l.name === spec.name);
  const key = conf?.maxShrink === undefined ? 'blocking.maxShrink' : `${spec.keyPath}.maxShrink`;
  return (
    `${spec.keyPath}.source: ${spec.location} has ${entries} entries where the policy in force has ` +
    `${before}: a reload may drop at most ${Math.round(maxShrink * 100)} % (${key}); refused, the policy ` +
    `in force keeps serving. If the file is complete and the shrink intended, confirm it with ` +
    `\`${spec.keyPath}.maxShrink: 1\` and reload`
  );
}

/** What the broad-rule guard needs of a source: where `allowBroad` goes and whether it is set. */
function broadGuardList(spec: SourceSpec, cfg: Config): BroadGuardList {
  const allowSource = !spec.keyPath.startsWith('lists[');
  const conf = allowSource
    ? cfg.allow.find((a) => a.name === spec.name)
    : cfg.lists.find((l) => l.name === spec.name);
  const { keyPath, name, location: source } = spec;
  return { keyPath, name, source, allowBroad: conf?.allowBroad ?? false, allowSource };
}

/** The share of its entries a source may lose at a reload: 1 (no guard) for allow sources. */
export function maxShrinkOf(spec: SourceSpec, cfg: Config): number {
  if (!spec.keyPath.startsWith('lists[')) return 1;
  return cfg.lists.find((l) => l.name === spec.name)?.maxShrink ?? cfg.blocking.maxShrink;
}

export function listReport(spec: SourceSpec, parsed: ParsedList, refused?: string): ListReport {
  return {
    name: spec.name,
    entries: parsed.entries,
    badLines: parsed.badLines,
    badCount: parsed.badCount,
    source: spec.location,
    format: parsed.format,
    ...(refused ? { refused } : {}),
  };
}

function listMeta(src: ListSource, cfg: Config): ListMeta {
  const isAllow = src.spec.keyPath.startsWith('allow');
  const conf = isAllow ? null : cfg.lists.find((l) => l.name === src.spec.name)!;
  return {
    name: src.spec.name,
    app: conf?.app ?? 'allow',
    category: conf?.category ?? 'core',
    source: src.spec.location,
    action: toAction(
      conf?.action === undefined || conf.action === 'monitor' ? cfg.blocking.action : conf.action,
    ),
    monitor: conf !== null && isMonitored(conf, cfg.blocking),
    allowSource: isAllow,
    parsed: src.parsed!,
    refreshInterval: src.spec.refreshMs,
  };
}

/** The config's lists and allow entries as source specs (file paths resolved, URLs checked). */
export function listSpecs(loaded: LoadedConfig, errors: string[]): SourceSpec[] {
  const cfg = loaded.config;
  const specs: SourceSpec[] = [];
  const add = (
    keyPath: string,
    name: string,
    source: string | undefined,
    entries: readonly string[] | undefined,
    format: SourceSpec['format'],
    refresh: number | undefined,
  ) => {
    if (source === undefined) {
      const location = `${loaded.file}#${keyPath}.entries`;
      specs.push({ keyPath, name, kind: 'inline', location, format, refreshMs: 0, inline: entries });
    } else if (isUrl(source)) {
      const problem = remoteUrlProblem(source);
      if (problem) errors.push(`${keyPath}.source: ${problem}`);
      else specs.push({ keyPath, name, kind: 'url', location: source, format, refreshMs: refresh ?? 0 });
    } else {
      const location = path.resolve(loaded.dir, source);
      specs.push({ keyPath, name, kind: 'file', location, format, refreshMs: 0 });
    }
  };
  cfg.lists.forEach((l, i) => add(`lists[${i}]`, l.name, l.source, undefined, l.format, l.refresh));
  cfg.allow.forEach((a, i) => add(`allow[${i}]`, a.name, a.source, a.entries, a.format, a.refresh));
  return specs;
}

/** Bad lines logged per list at each load (the reload answer and `banwall check` give the rest). */
const BAD_LINES_LOGGED = 20;

/** What a successful load tells the log: warnings, the first bad lines, lists no group enforces. */
export function logReport(report: CompileReport, log: Logger): void {
  for (const w of report.warnings) log.warn(w);
  for (const l of report.lists) {
    for (const b of l.badLines.slice(0, BAD_LINES_LOGGED)) {
      log.warn(
        { list: l.name, file: l.source, line: b.line, text: b.text, reason: b.reason },
        'bad list line skipped',
      );
    }
  }
  for (const u of report.unenforced) {
    if (u.unused) continue;
    log.warn(
      { list: u.name, key: u.keyPath },
      'list named by no group: it is never enforced (add it to a group, or mark it `unused: true`)',
    );
  }
}

function toAction(a: Config['blocking']['action']): BlockAction {
  return typeof a === 'string' ? { kind: a } : { kind: a.kind, addresses: a.addresses };
}
