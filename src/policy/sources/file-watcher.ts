// Watches the directories of local list files (editors and ConfigMap updates replace a file rather
// than write to it, so the file itself cannot be watched) and reports a change once it has settled.
//
// How a half-written file is told from a finished one: a change event only starts a settle. The
// changed files are stat()ed every SETTLE_MS; the change is reported when two stat()s in a row see
// the same size and mtime for every one of them (a writer that is still copying moves one or the
// other), at the earliest 2 × SETTLE_MS after the last event. A writer that pauses longer than that
// (or truncates, then writes a second later, as a non-atomic copy does) can still leave a short file:
// the reload guard (`maxShrink`, in compile.ts) refuses it and the refresher retries, so the policy
// in force keeps serving until the file is whole again.
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../log.ts';

/** Interval between the two stat()s that must agree. */
export const SETTLE_MS = 200;
/** A file that keeps changing for this many rounds (4 s) is reported anyway. */
const MAX_ROUNDS = 20;

export class ListFileWatcher {
  private readonly log: Logger;
  private readonly onSettled: (files: readonly string[]) => void;
  private readonly watchers = new Map<string, FSWatcher>();
  private files = new Set<string>();
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastSignature: string | null = null;
  private rounds = 0;
  private closed = false;

  constructor(log: Logger, onSettled: (files: readonly string[]) => void) {
    this.log = log;
    this.onSettled = onSettled;
  }

  /** Watches exactly the directories of `files` (absolute paths); stops watching the others. */
  watchFiles(files: ReadonlySet<string>): void {
    if (this.closed) return;
    this.files = new Set(files);
    const dirs = new Set([...files].map((f) => path.dirname(f)));
    for (const [dir, w] of this.watchers) {
      if (!dirs.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, (_event, name) => this.changed(dir, name));
        w.on('error', (err) => this.log.warn({ dir, err: err.message }, 'list watch failed'));
        w.unref();
        this.watchers.set(dir, w);
      } catch (err) {
        this.log.warn({ dir, err: (err as Error).message }, 'cannot watch list files');
      }
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private changed(dir: string, name: string | null): void {
    if (name === null) {
      // The platform did not say which file: every watched file of the directory may have changed.
      for (const f of this.files) if (path.dirname(f) === dir) this.pending.add(f);
    } else {
      const file = path.join(dir, name);
      if (!this.files.has(file)) return;
      this.pending.add(file);
    }
    // A new event restarts the settle: the file is still being written.
    this.lastSignature = null;
    this.rounds = 0;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.probe(), SETTLE_MS).unref();
  }

  private async probe(): Promise<void> {
    this.timer = undefined;
    const files = [...this.pending];
    const signature = (await Promise.all(files.map(signatureOf))).join('\n');
    if (this.closed || this.timer !== undefined) return; // closed, or a newer event took over
    if (signature !== this.lastSignature && this.rounds < MAX_ROUNDS) {
      this.lastSignature = signature;
      this.rounds++;
      this.timer = setTimeout(() => void this.probe(), SETTLE_MS).unref();
      return;
    }
    this.pending.clear();
    this.lastSignature = null;
    this.rounds = 0;
    this.onSettled(files);
  }
}

async function signatureOf(file: string): Promise<string> {
  try {
    const st = await stat(file);
    return `${file}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    return `${file}\0missing`;
  }
}
