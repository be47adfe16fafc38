// The policy snapshot file's bytes, read ahead: `serve` starts the read as soon as it has a config
// (one validated before: src/config/validated-cache.ts) and before it imports the app, whose module
// graph Node fetches synchronously on the main thread (50–150 ms here). The read is one pread into a
// SharedArrayBuffer, done by libuv's thread pool meanwhile (17 MB for 1 M names: 60–80 ms of copying
// here) instead of after. snapshot-cache.ts takes the bytes for the same file; the checks (key,
// version, size, checksums) are readSnapshotFile's as always. Only node:fs here: importing this must
// cost nothing.
import { closeSync, fstatSync, openSync, read } from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.ts';

export const SNAPSHOT_FILE = 'policy.snapshot';

/** `blocking.cacheDir/policy.snapshot` of a config. */
export function snapshotFileOf(loaded: LoadedConfig): string {
  return path.join(path.resolve(loaded.dir, loaded.config.blocking.cacheDir), SNAPSHOT_FILE);
}

let early: { readonly file: string; readonly bytes: Promise<Uint8Array> } | null = null;

/** Starts reading the snapshot file of `loaded`; no file, no read (the load says why, as always). */
export function prefetchSnapshot(loaded: LoadedConfig): void {
  const file = snapshotFileOf(loaded);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return;
  }
  const bytes = readAll(fd);
  bytes.catch(() => undefined); // a failed read is the load's to report: it reads again
  early = { file, bytes };
}

/** The bytes read ahead for `file` (once: the load adopts them), or undefined. */
export function takePrefetched(file: string): Promise<Uint8Array> | undefined {
  const taken = early;
  early = null;
  return taken?.file === file ? taken.bytes : undefined;
}

/**
 * The whole file in one buffer of its own, at offset 0 (8-byte aligned for the table's Float64Array
 * of keys), shared memory when available (a reload's worker reads the table without a copy): what
 * snapshot-file.ts reads too. One read() request for the whole size, so it needs no turn of the
 * main thread until it is done.
 */
function readAll(fd: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let size: number;
    try {
      size = fstatSync(fd).size;
    } catch (err) {
      closeSync(fd);
      reject(err as Error);
      return;
    }
    const ab = typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
    const bytes = new Uint8Array(ab);
    let at = 0;
    const next = (err: NodeJS.ErrnoException | null, n: number) => {
      if (err === null && n > 0 && (at += n) < size) {
        read(fd, bytes, at, size - at, at, next);
        return;
      }
      closeSync(fd);
      if (err !== null) reject(err);
      else resolve(at === size ? bytes : bytes.subarray(0, at));
    };
    read(fd, bytes, 0, size, 0, next);
  });
}
