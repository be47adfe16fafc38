// A scratch directory for one test (or one file's hooks), removed when the test ends: no try/finally
// in the test and nothing left in /tmp when an assertion fails half-way.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onCleanup, type Cleanup } from './cleanup.ts';

/** A new directory `/tmp/PREFIX-XXXXXX`, removed with everything in it by `cleanup`. */
export async function tempDir(cleanup: Cleanup, prefix = 'banwall-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  onCleanup(cleanup, () => rm(dir, { recursive: true, force: true }));
  return dir;
}
