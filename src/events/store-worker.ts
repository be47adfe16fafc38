// The event store's writer thread, at a lower priority: inserts batches and enforces retention, so
// that SQLite's µs per row and its fsyncs never run on the thread that answers DNS. The serving
// thread folds repeats and queues rows and posts a batch per flush interval; the batch goes to the
// INSERT as it came (the serving side passes foldWindow 0: nothing is left to fold here).
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEventStore, type EventStoreOptions } from './sqlite-store.ts';
import { batchSize } from './batch-codec.ts';
import { lowerThisThreadsPriority, type WriterPriority } from './writer-priority.ts';
import { NO_WRITES, type ToWriter, type WriterCounts } from './writer-protocol.ts';

export type { ToWriter, WriterCounts } from './writer-protocol.ts';

const port = parentPort!;
let priority: WriterPriority | undefined;
const lower = (): void => {
  priority ??= lowerThisThreadsPriority();
};
let store: SqliteEventStore;
let handledRows = 0;
try {
  // Opened (created, its schema written) before the priority drops: at SCHED_IDLE on a busy box
  // that took seconds, and the writer starts with the first event, which an operator may be
  // searching for a second later. Upgrading an older file is long work: that runs lowered.
  store = new SqliteEventStore(workerData as EventStoreOptions, lower);
  lower();
  store.start();
} catch (err) {
  port.postMessage({ ...NO_WRITES, error: (err as Error).message } satisfies WriterCounts);
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
