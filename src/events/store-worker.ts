// The event store's writer thread, at a lower priority: inserts batches and enforces retention, so
// that SQLite's µs per row and its fsyncs never run on the thread that answers DNS. The serving
// thread only folds and queues events and posts a batch per flush interval; the batch goes to the
// INSERT as it came.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEventStore, type EventStoreOptions } from './sqlite-store.ts';
import { batchSize, type EncodedBatch } from './batch-codec.ts';

/**
 * The writer's nice value. History yields to answers: when the CPU is short the resolver thread
 * and the client's load win, and the writer catches up on spare cycles; if it never can, the ring
 * fills and drops (counted) instead of the resolver slowing down. Raising one's own niceness needs
 * no privilege.
 */
const WRITER_NICE = 10;

function lowerThisThreadsPriority(): void {
  try {
    // Linux: setpriority() on a thread id changes that thread only; /proc/thread-self names it.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    // Never raise it: a banwall started under `nice 15` keeps its writer at 15.
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, Math.max(getPriority(tid), WRITER_NICE));
  } catch {
    // Not Linux, or no /proc: the writer runs at the process's priority.
  }
}

export type ToWriter = { readonly batch: EncodedBatch } | { readonly close: true };
export interface WriterCounts {
  readonly written: number;
  readonly rows: number;
  /** Rows received from the serving thread and taken into the writer's own bounded ring. */
  readonly handledRows: number;
  readonly expired: number;
  readonly failed: number;
  readonly lostEvents: number;
  readonly closed?: boolean;
  readonly error?: string;
}

const port = parentPort!;
lowerThisThreadsPriority();
let store: SqliteEventStore;
let handledRows = 0;
try {
  store = new SqliteEventStore(workerData as EventStoreOptions);
  store.start();
} catch (err) {
  port.postMessage({
    written: 0,
    rows: 0,
    handledRows: 0,
    expired: 0,
    failed: 0,
    lostEvents: 0,
    error: (err as Error).message,
  } satisfies WriterCounts);
  process.exit(0);
}

function counts(closed = false): WriterCounts {
  return {
    written: store.written,
    rows: store.rows,
    handledRows,
    expired: store.expired,
    failed: store.failed,
    lostEvents: store.dropped,
    closed,
  };
}

port.on('message', (msg: ToWriter) => {
  if ('close' in msg) {
    store.close();
    port.postMessage(counts(true));
    return;
  }
  store.offerBatch(msg.batch);
  handledRows += batchSize(msg.batch).rows;
  port.postMessage(counts());
});
