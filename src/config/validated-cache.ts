// The last validated config of a config file, kept so that a start (or a reload) whose file has the
// same bytes skips the loader thread (load-isolated.ts): starting a thread and importing zod, yaml and
// every part's schema in it was 0.7–1.2 s of a 1.3–2.7 s start on this machine (bench/README.md,
// "Start"), the largest part of the way to the first answer. Validation is a pure function of the
// file's bytes and of the code that validates them; the entry holds both:
// - its key, a SHA-256 over banwall's version, the file's path and its bytes;
// - the identity (size, mtime) of every module the loader thread imported: banwall's own files and,
//   for a dependency (zod, yaml), its package.json. A schema edited in a checkout, an upgrade of zod:
//   the entry no longer matches and the thread validates again.
// Where: Node's compile cache directory (bin/banwall.js switches it on), beside the V8 code cache of
// the same modules, so it is trusted exactly as much as that code (it is the place for what a start
// derives from the sources, it is per Node version, and it is writable wherever banwall starts). With
// the compile cache off there is no entry and every load goes through the thread, as before.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { getCompileCacheDir } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { deserialize, serialize } from 'node:v8';
import { VERSION } from '../version.ts';
import type { LoadedConfig } from './config-error.ts';

/** A file whose code validated the config, as stat saw it: [path, size, mtimeMs]. */
export type CodeStamp = readonly [file: string, size: number, mtimeMs: number];

/** Bump when the entry's shape changes. */
const FORMAT = 1;

interface Entry {
  readonly format: number;
  readonly key: string;
  readonly code: readonly CodeStamp[];
  readonly loaded: LoadedConfig;
}

/** The key of a config file's bytes at `abs`. */
export function configKey(abs: string, bytes: Uint8Array): string {
  return createHash('sha256').update(`${VERSION}\0${abs}\0`).update(bytes).digest('hex');
}

/** The entry's file for the config at `abs`, or null when the compile cache is off. */
export function entryFile(abs: string): string | null {
  const dir = getCompileCacheDir();
  if (dir === undefined) return null;
  const name = createHash('sha256').update(abs).digest('hex').slice(0, 24);
  return path.join(dir, `banwall-config-${name}`);
}

/**
 * Whether `file` is ours and only ours to write. The default compile cache directory is under the
 * shared /tmp: an entry another local user planted there (the key is computable by anyone who can
 * read the config) would otherwise decide banwall's policy. Such a file is ignored: the thread
 * validates, as with no entry.
 */
function ownedByUs(file: string): boolean {
  const st = statSync(file, { throwIfNoEntry: false });
  if (st === undefined) return false;
  const uid = process.getuid?.();
  return (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0;
}

function sameCode(code: readonly CodeStamp[]): boolean {
  for (const [file, size, mtimeMs] of code) {
    const st = statSync(file, { throwIfNoEntry: false });
    if (st === undefined || st.size !== size || st.mtimeMs !== mtimeMs) return false;
  }
  return true;
}

/** The config validated from these bytes by the same code, or null (then the thread validates). */
export function cachedConfig(abs: string, bytes: Uint8Array): LoadedConfig | null {
  const file = entryFile(abs);
  if (file === null) return null;
  if (!ownedByUs(file) || !ownedByUs(path.dirname(file))) return null;
  let entry: Entry;
  try {
    entry = deserialize(readFileSync(file)) as Entry;
  } catch {
    return null; // none yet, or unreadable: validate
  }
  if (
    entry === null ||
    typeof entry !== 'object' ||
    entry.format !== FORMAT ||
    entry.key !== configKey(abs, bytes) ||
    !Array.isArray(entry.code) ||
    entry.code.length === 0 ||
    entry.loaded?.file !== abs
  )
    return null;
  return sameCode(entry.code) ? entry.loaded : null;
}

/** Keeps what the loader thread validated; a failure costs only the next start the thread. */
export async function keepConfig(loaded: LoadedConfig, key: string, code: readonly CodeStamp[]): Promise<void> {
  const file = entryFile(loaded.file);
  if (file === null || code.length === 0) return;
  const entry: Entry = { format: FORMAT, key, code, loaded };
  // Written whole under a name of its own, then renamed: a reader never sees half an entry.
  const tmp = `${file}.${process.pid}.${threadId}.tmp`;
  await writeFile(tmp, serialize(entry), { mode: 0o600 });
  await rename(tmp, file);
}

/**
 * The stamps of the modules behind `urls` (file: URLs the loader thread resolved): banwall's own
 * files as they are, a dependency's files through its package.json (its version).
 */
export function codeStamps(urls: Iterable<string>): CodeStamp[] {
  const files = new Set<string>();
  for (const url of urls) {
    if (!url.startsWith('file:')) continue;
    const file = fileURLToPath(url);
    const at = file.lastIndexOf('/node_modules/');
    if (at < 0) {
      files.add(file);
      continue;
    }
    const rest = file.slice(at + '/node_modules/'.length).split('/');
    const pkg = rest[0].startsWith('@') ? rest.slice(0, 2) : rest.slice(0, 1);
    files.add(path.join(file.slice(0, at), 'node_modules', ...pkg, 'package.json'));
  }
  const out: CodeStamp[] = [];
  for (const file of files) {
    const st = statSync(file, { throwIfNoEntry: false });
    if (st === undefined) return []; // a module with no file to stamp: keep nothing
    out.push([file, st.size, st.mtimeMs]);
  }
  return out;
}
