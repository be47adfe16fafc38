// STUB (owned by the policy helper): holds the current PolicySnapshot; a reload compiles a new one
// off the serving path and swaps it in atomically. Readers take `store.current` once per request.
import type { PolicySnapshot } from './snapshot.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { Logger } from '../log.ts';

export interface CompileReport {
  /** Per-list counts and bad lines, for `banwall check` and the logs. */
  readonly lists: readonly {
    name: string;
    entries: number;
    badLines: readonly { line: number; text: string; reason: string }[];
  }[];
  /** Errors that make the policy unusable (unknown list in a group, unreadable file with no cached copy). */
  readonly errors: readonly string[];
}

export class PolicyStore {
  current!: PolicySnapshot;
  private readonly listeners: ((p: PolicySnapshot) => void)[] = [];
  constructor(_log: Logger) {}
  /** Compiles the policy of `cfg`; on success swaps it in, on error keeps the old one and throws. */
  async load(_cfg: LoadedConfig): Promise<CompileReport> {
    throw new Error('not implemented');
  }
  onSwap(fn: (p: PolicySnapshot) => void): void {
    this.listeners.push(fn);
  }
  /** Stops refresh timers of remote lists. */
  close(): void {}
}
