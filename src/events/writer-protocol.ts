// What the event store's serving side and its writer thread (store-worker.ts) say to each other.
// Its own module: store-worker.ts runs on import, so the serving side must not import it.
import type { EncodedBatch } from './batch-codec.ts';
import type { WriterPriority } from './writer-priority.ts';

export type ToWriter = { readonly batch: EncodedBatch } | { readonly close: true };

export interface WriterCounts {
  readonly written: number;
  readonly rows: number;
  /** Rows received from the serving thread and taken into the writer's own bounded ring. */
  readonly handledRows: number;
  readonly expired: number;
  readonly failed: number;
  readonly lostEvents: number;
  /** How the writer thread was lowered (writer-priority.ts). */
  readonly priority?: WriterPriority;
  readonly closed?: boolean;
  readonly error?: string;
}

/** The counts before the writer has reported anything. */
export const NO_WRITES: WriterCounts = {
  written: 0,
  rows: 0,
  handledRows: 0,
  expired: 0,
  failed: 0,
  lostEvents: 0,
};
