// The policy snapshot file in `blocking.cacheDir` (`policy.snapshot`): written after every compile
// that went into force, read by the first load of a process. Its key is a SHA-256 over banwall's
// version, the config's policy keys and every source's identity (a list file's path, size and mtime;
// a remote list's copy on disk: size, mtime, ETag / Last-Modified; inline entries are in the config).
// A start with the same key takes the compiled policy from the file (compiled/snapshot-file.ts) and
// still runs the policy tests; anything else compiles the lists from text and says why in the log.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import type { Logger } from '../log.ts';
import { VERSION } from '../version.ts';
import {
  finishPolicy,
  listReport,
  listSpecs,
  unenforcedOf,
  type Compiled,
  type SourcePool,
} from './compile.ts';
import { readSnapshotFile, writeSnapshotFile, SNAPSHOT_VERSION } from './compiled/snapshot-file.ts';
import type { CompiledPolicy } from './compiled/compiled-policy.ts';
import { parsedMeta, restoreParsed } from './parse/parsed-data.ts';
import type { ListSource, SourceSpec } from './sources/list-source.ts';
import { cachePaths } from './sources/remote-list.ts';
import { SNAPSHOT_FILE, snapshotFileOf, takePrefetched } from './snapshot-prefetch.ts';

export { SNAPSHOT_FILE };

function cacheDirOf(loaded: LoadedConfig): string {
  return path.resolve(loaded.dir, loaded.config.blocking.cacheDir);
}

/** A list file's or remote copy's version as the key holds it. */
const stampText = (s: { size: number; mtimeMs: number }) => `${s.size}:${s.mtimeMs}`;

/** A remote list's identity: its copy on disk (size, mtime, ETag, Last-Modified); null without one. */
async function remoteIdentity(cacheDir: string, spec: SourceSpec): Promise<string | null> {
  const p = cachePaths(cacheDir, spec.name, spec.location);
  try {
    const [st, meta] = await Promise.all([stat(p.text), readFile(p.meta, 'utf8')]);
    return `${stampText(st)}:${meta}`;
  } catch {
    return null;
  }
}

/** The key of a policy from `specs` whose sources are at `identities` (in the same order). */
function snapshotKey(
  loaded: LoadedConfig,
  specs: readonly SourceSpec[],
  identities: readonly string[],
): Buffer {
  const { lists, allow, groups, blocking } = loaded.config;
  const sources = specs.map((s, i) => [s.keyPath, s.kind, s.location, identities[i]]);
  const text = JSON.stringify([
    VERSION,
    SNAPSHOT_VERSION,
    loaded.dir,
    lists,
    allow,
    groups,
    blocking,
    sources,
  ]);
  return createHash('sha256').update(text).digest();
}

/** The snapshot file of `loaded`, the specs of its lists and the key they have now; null if none can. */
async function currentKey(
  loaded: LoadedConfig,
): Promise<{ file: string; specs: SourceSpec[]; key: Buffer } | null> {
  const cacheDir = cacheDirOf(loaded);
  const specErrors: string[] = [];
  const specs = listSpecs(loaded, specErrors);
  if (specErrors.length > 0) return null;
  const identities: string[] = [];
  for (const spec of specs) {
    let id: string | null = '';
    if (spec.kind === 'file') id = await stat(spec.location).then(stampText, () => null);
    else if (spec.kind === 'url') id = await remoteIdentity(cacheDir, spec);
    if (id === null) return null; // a missing file or copy: the compile reports it
    identities.push(id);
  }
  return { file: path.join(cacheDir, SNAPSHOT_FILE), specs, key: snapshotKey(loaded, specs, identities) };
}

/**
 * The first load's policy from the snapshot file, or null (then the caller compiles from text). The
 * sources taken from `pool` hold the file's contents, so a later reload re-reads only what changed.
 */
export async function loadSnapshot(
  loaded: LoadedConfig,
  pool: SourcePool,
  generation: number,
  log: Logger,
): Promise<Compiled | null> {
  const early = takePrefetched(snapshotFileOf(loaded)); // taken even if unused: one use only
  const at = await currentKey(loaded);
  if (at === null) return null;
  const { file, specs, key } = at;
  const read = await readSnapshotFile(file, key, early).catch(() => readSnapshotFile(file, key));
  const unused = (reason: string) => {
    log.info({ file, reason }, 'policy snapshot not used; compiling the lists');
    return null;
  };
  if (typeof read === 'string') return read === 'absent' ? null : unused(read);
  const { table, meta } = read;
  if (meta.lists.some((l, i) => l.keyPath !== specs[i]?.keyPath || l.name !== specs[i].name))
    return unused('lists do not match the config');
  const used: ListSource[] = specs.map((spec, i) => {
    const m = meta.lists[i];
    const parsed = restoreParsed(m.parsed, null);
    parsed.names.count = table.starts[i + 1] - table.starts[i];
    parsed.names.bind(table, i);
    const src = pool.sourceFor(spec);
    src.adopt(parsed, spec.kind === 'file' ? m.stamp : null, m.lastSuccess);
    return src;
  });
  const report = {
    lists: used.map((src) => listReport(src.spec, src.parsed!)),
    errors: [],
    warnings: [],
    unenforced: unenforcedOf(loaded.config),
  };
  const done = await finishPolicy(loaded, used, report, generation, table);
  // Policy tests that fail: the compile from text reports them as it always does.
  return done.snapshot ? done : unused('policy tests failed');
}

/** Writes the snapshot file of a compile in force; a failure costs only the next start a compile. */
export async function saveSnapshot(
  loaded: LoadedConfig,
  snapshot: CompiledPolicy,
  used: readonly ListSource[],
  log: Logger,
): Promise<void> {
  const cacheDir = cacheDirOf(loaded);
  // A remote list with no contents yet would be kept empty: compile again next time instead.
  if (used.some((s) => s.unavailable !== null)) return;
  const identities: string[] = [];
  for (const src of used) {
    let id: string | null = '';
    if (src.spec.kind === 'file') id = stampText(src.fileStamp());
    else if (src.spec.kind === 'url') id = await remoteIdentity(cacheDir, src.spec);
    if (id === null) return;
    identities.push(id);
  }
  const key = snapshotKey(
    loaded,
    used.map((s) => s.spec),
    identities,
  );
  const lists = used.map((src) => ({
    keyPath: src.spec.keyPath,
    name: src.spec.name,
    parsed: parsedMeta(src.parsed!),
    stamp: src.spec.kind === 'file' ? src.fileStamp() : null,
    lastSuccess: src.lastSuccess,
  }));
  try {
    await writeSnapshotFile(path.join(cacheDir, SNAPSHOT_FILE), key, snapshot.names, { lists });
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'cannot write the policy snapshot file');
  }
}
