// The event store's writer thread: inserts batches and enforces retention, so that SQLite's ~6.5 µs
// per row (measured here: 2,000 rows in 13 ms) and its fsyncs never run on the thread that answers
// DNS. The serving thread only queues events and posts a batch per flush interval.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEventStore, type EventStoreOptions } from './sqlite-store.ts';
import { decodeBatch, type EncodedBatch } from './batch-codec.ts';

export type ToWriter = { readonly batch: EncodedBatch } | { readonly close: true };
export interface WriterCounts {
  readonly written: number;
  readonly expired: number;
  readonly failed: number;
  readonly failedRows: number;
  readonly closed?: boolean;
  readonly error?: string;
}

const port = parentPort!;
let store: SqliteEventStore;
try {
  store = new SqliteEventStore(workerData as EventStoreOptions);
  store.start();
} catch (err) {
  port.postMessage({ written: 0, expired: 0, failed: 0, failedRows: 0, error: (err as Error).message });
  process.exit(0);
}

function counts(closed = false): WriterCounts {
  return {
    written: store.written,
    expired: store.expired,
    failed: store.failed,
    failedRows: store.dropped,
    closed,
  };
}

port.on('message', (msg: ToWriter) => {
  if ('close' in msg) {
    store.close();
    port.postMessage(counts(true));
    return;
  }
  for (const e of decodeBatch(msg.batch)) store.offer(e);
  store.flush();
  port.postMessage(counts());
});
