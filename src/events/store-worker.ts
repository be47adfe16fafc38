// The event store's writer thread, at a lower priority: inserts batches and enforces retention, so
// that SQLite's µs per row and its fsyncs never run on the thread that answers DNS. The serving
// thread only folds and queues events and posts a batch per flush interval; the batch goes to the
// INSERT as it came.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEventStore, type EventStoreOptions } from './sqlite-store.ts';
import { batchSize, type EncodedBatch } from './batch-codec.ts';
import { lowerThisThreadsPriority, type WriterPriority } from './writer-priority.ts';

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

const port = parentPort!;
const priority = lowerThisThreadsPriority();
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
    priority,
    closed,
  };
}

// Tell the serving thread at once how the writer was lowered (the counts otherwise follow batches).
port.postMessage(counts());

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
