// One configured list (or allow source) and its latest good contents. Local files are re-read when
// their mtime or size changes; remote lists are fetched at first load and then on their refresh timer.
import { stat } from 'node:fs/promises';
import type { Logger } from '../../log.ts';
import { looksBroken, type ListFormat } from '../parse/parse-list.ts';
import { parseList, parseListBytes } from '../parse/list-bytes.ts';
import type { ParsedList } from '../parse/parsed-list.ts';
import { compiledCachePath } from './compiled-cache.ts';
import { readListFile } from './list-file.ts';
import type { CompileOffload } from '../worker/compile-offload.ts';
import { fetchList, readCachedCopy, writeCachedCopy, type FetchOptions } from './remote-list.ts';

/** A source that cannot be used; `parsed` holds what was read when the contents were refused. */
export class SourceError extends Error {
  readonly parsed: ParsedList | null;
  constructor(message: string, parsed: ParsedList | null = null) {
    super(message);
    this.parsed = parsed;
  }
}

/** Smaller files are read on the main thread at a reload too: quicker than a message round trip. */
const OFFLOAD_MIN_BYTES = 1 << 20;

export interface SourceSpec {
  /** `lists` or `allow`: with the index, the key path errors name. */
  readonly keyPath: string;
  readonly name: string;
  readonly kind: 'file' | 'url' | 'inline';
  /** Absolute path, URL, or '(inline)'. */
  readonly location: string;
  readonly format: ListFormat;
  readonly refreshMs: number;
  readonly inline?: readonly string[];
}

export function sourceKey(s: SourceSpec): string {
  return `${s.kind}\u0000${s.name}\u0000${s.location}\u0000${s.format}\u0000${(s.inline ?? []).join('\n')}`;
}

/**
 * Live state (last success, failure counter) lives here, in the source the refresher owns, never in
 * the immutable snapshot.
 */
export class ListSource {
  readonly spec: SourceSpec;
  parsed: ParsedList | null = null;
  /** Epoch ms of the last successful read or fetch, 0 if never. */
  lastSuccess = 0;
  refreshFailures = 0;
  /** Set when the source has no contents at all (unreachable URL without a copy on disk). */
  unavailable: string | null = null;
  private mtimeMs = -1;
  private size = -1;

  constructor(spec: SourceSpec) {
    this.spec = spec;
  }

  /**
   * Brings a file or inline source up to date; throws SourceError when it cannot be used. With a
   * `cacheDir`, an unchanged file is read back from its compiled copy instead of being parsed. With
   * `offload`, the file is read in the compile worker (a reload: the resolver keeps answering).
   */
  async syncLocal(cacheDir?: string, log?: Logger, offload?: CompileOffload | null): Promise<void> {
    const s = this.spec;
    if (s.kind === 'inline') {
      if (!this.parsed) this.accept(await parseList((s.inline ?? []).join('\n'), s.format), '(inline)');
      return;
    }
    let st;
    try {
      st = await stat(s.location);
    } catch (err) {
      throw new SourceError(
        `${s.keyPath}.source: cannot read ${s.location}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    if (this.parsed && st.mtimeMs === this.mtimeMs && st.size === this.size) return;
    const compiledPath = cacheDir
      ? compiledCachePath(cacheDir, s.location, st.size, st.mtimeMs, s.format)
      : null;
    // No offload: the first load or `banwall check`, where nothing is served while the file is read.
    const job = { file: s.location, format: s.format, compiledPath, blocking: !offload };
    let read;
    try {
      read =
        offload && st.size >= OFFLOAD_MIN_BYTES ? await offload.readListFile(job) : await readListFile(job);
    } catch (err) {
      throw new SourceError(`${s.keyPath}.source: cannot read ${s.location}: ${(err as Error).message}`);
    }
    if (read.warning)
      log?.warn({ list: s.name, err: read.warning }, 'cannot keep a compiled copy of the list');
    this.accept(read.parsed, s.location);
    this.mtimeMs = st.mtimeMs;
    this.size = st.size;
  }

  /** The size and mtime of the file version in `parsed` (-1 before the first read). */
  fileStamp(): { readonly size: number; readonly mtimeMs: number } {
    return { size: this.size, mtimeMs: this.mtimeMs };
  }

  /**
   * Takes contents from the policy snapshot file (src/policy/snapshot-file): `stamp` is the file
   * version they were compiled from, so an unchanged file is not read again at the next reload.
   */
  adopt(parsed: ParsedList, stamp: { size: number; mtimeMs: number } | null, lastSuccess: number): void {
    this.parsed = parsed;
    this.lastSuccess = lastSuccess;
    if (stamp) {
      this.size = stamp.size;
      this.mtimeMs = stamp.mtimeMs;
    }
  }

  /**
   * First load of a remote list: fetch (conditionally, against the copy on disk); on any failure use
   * the copy on disk. Never throws: a list without any contents is empty and `unavailable` says why.
   */
  async initRemote(cacheDir: string, opts: FetchOptions, log: Logger): Promise<void> {
    if (this.parsed) return;
    const s = this.spec;
    const copy = await readCachedCopy(cacheDir, s.name, s.location);
    try {
      await this.refresh(cacheDir, opts, log);
      return;
    } catch (err) {
      this.refreshFailures++;
      log.warn({ list: s.name, url: s.location, err: (err as Error).message }, 'list fetch failed');
    }
    if (copy) {
      const parsed = await parseListBytes(copy.bytes, s.format);
      if (!looksBroken(parsed)) {
        this.parsed = parsed;
        parsed.names.shrink();
        this.lastSuccess = copy.fetchedAt;
        this.unavailable = null;
        log.warn(
          { list: s.name, fetchedAt: new Date(copy.fetchedAt).toISOString() },
          'using the copy on disk',
        );
        return;
      }
    }
    this.unavailable = `${s.keyPath}.source: ${s.location} cannot be fetched and there is no copy on disk`;
    this.parsed = await parseList('', s.format);
  }

  /**
   * Fetches again. Returns true when the contents changed. Throws on fetch failure or a broken list;
   * the previous contents then stay.
   */
  async refresh(cacheDir: string, opts: FetchOptions, log: Logger, maxShrink = 1): Promise<boolean> {
    const s = this.spec;
    const known = await readCachedCopy(cacheDir, s.name, s.location);
    const res = await fetchList(s.location, known, opts);
    if (res.kind === 'not-modified') {
      if (!this.parsed && known) {
        const parsed = await parseListBytes(known.bytes, s.format);
        parsed.names.shrink();
        this.parsed = parsed;
      }
      this.lastSuccess = Date.now();
      this.unavailable = null;
      return false;
    }
    const parsed = await parseListBytes(res.bytes, s.format);
    if (looksBroken(parsed)) {
      throw new Error(
        `${parsed.badCount} of ${parsed.ruleLines} lines are not rules; keeping the previous contents`,
      );
    }
    // The reload guard, before the new contents replace the old ones here and on disk: a truncated
    // download is a failed refresh, fetched again at the next interval.
    const before = this.parsed?.entries ?? 0;
    if (shrinksTooMuch(before, parsed.entries, maxShrink)) {
      throw new Error(
        `${parsed.entries} entries where the policy in force has ${before}, more than maxShrink ` +
          `(${Math.round(maxShrink * 100)} %) drops; keeping the previous contents (confirm a real ` +
          `shrink with \`${s.keyPath}.maxShrink: 1\`)`,
      );
    }
    this.accept(parsed, s.location);
    this.unavailable = null;
    try {
      await writeCachedCopy(cacheDir, s.name, s.location, { ...res, fetchedAt: this.lastSuccess });
    } catch (err) {
      log.warn({ list: s.name, err: (err as Error).message }, 'cannot keep a copy of the list on disk');
    }
    return true;
  }

  private accept(parsed: ParsedList, where: string): void {
    if (looksBroken(parsed)) {
      const first = parsed.badLines[0];
      // The bad lines go with the error: `banwall check` shows them all (bounded), not only the first.
      throw new SourceError(
        `${this.spec.keyPath}.source: ${where}: ${parsed.badCount} of ${parsed.ruleLines} lines are not rules` +
          (first ? ` (line ${first.line}: ${first.reason})` : ''),
        parsed,
      );
    }
    parsed.names.shrink();
    this.parsed = parsed;
    this.lastSuccess = Date.now();
  }
}

/** The reload guard's test: `after` entries lose more than the `maxShrink` share of `before`. */
export function shrinksTooMuch(before: number, after: number, maxShrink: number): boolean {
  return before > 0 && after < before * (1 - maxShrink);
}
