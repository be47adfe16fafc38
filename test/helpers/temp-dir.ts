// A scratch directory for one test (or one file's hooks), removed when the test ends: no try/finally
// in the test and nothing left in /tmp when an assertion fails half-way.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** What removes the directory: a test's context (`t.after`) or the node:test `after` hook itself. */
export type Cleanup = { after(fn: () => Promise<void>): void } | ((fn: () => Promise<void>) => void);

/** A new directory `/tmp/PREFIX-XXXXXX`, removed with everything in it by `cleanup`. */
export async function tempDir(cleanup: Cleanup, prefix = 'banwall-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const remove = () => rm(dir, { recursive: true, force: true });
  if (typeof cleanup === 'function') cleanup(remove);
  else cleanup.after(remove);
  return dir;
}
