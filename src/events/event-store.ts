// The serving thread's side of the event store: a bounded ring of rows (row-ring.ts, one column
// write per field, no fold here: finding repeats costs a map lookup per event, which the writer
// thread does instead), posted to the writer thread (store-worker.ts) once per flush interval. `offer` never
// waits: a slow disk keeps rows in flight, then fills the ring, and then the oldest rows are dropped
// and their events counted (banwall_events_dropped_total{sink="store"}).
import type { Worker } from 'node:worker_threads';
import { tsWorker } from '../ts-worker.ts';
import type { PolicyEvent } from './event.ts';
import { RowRing } from './row-ring.ts';
import type { EventStoreOptions } from './sqlite-store.ts';
import { NO_WRITES, type ToWriter, type WriterCounts } from './writer-protocol.ts';
import { batchSize, transferables } from './batch-codec.ts';
import type { EventSink } from './event-sink.ts';

/** What one post may carry at most; a larger backlog goes in several posts. */
const POST_MAX = 4096;
/**
 * Rows posted and not yet written, at most: beyond it rows wait in the ring (which drops the
 * oldest when full), so a writer that cannot keep up never grows the worker's message queue.
 */
const IN_FLIGHT_MAX = 2 * POST_MAX;

export class EventStore implements EventSink {
  readonly name = 'store';
  readonly file: string;
  private readonly rows: RowRing;
  private readonly worker: Worker;
  private readonly timer: NodeJS.Timeout;
  private counts: WriterCounts = NO_WRITES;
  private postedRows = 0;
  private closing: Promise<void> | null = null;
  /** Set when the writer could not open the file; the store then only counts drops. */
  error: string | undefined;

  constructor(opts: EventStoreOptions) {
    this.file = opts.file;
    this.rows = new RowRing(opts.queueSize, 0);
    // Through tsWorker: a plain Worker on the .ts file loaded Node's type stripper at every start.
    this.worker = tsWorker(new URL('./store-worker.ts', import.meta.url), { workerData: opts });
    this.worker.on('message', (c: WriterCounts) => {
      this.counts = c;
      if (c.error !== undefined) this.error = c.error;
    });
    this.worker.on('error', (err) => {
      this.error = err.message;
    });
    this.worker.unref();
    this.timer = setInterval(() => this.post(), opts.flushInterval);
    this.timer.unref();
  }

  offer(event: PolicyEvent): void {
    if (this.closing === null) this.rows.offer(event);
  }

  directRows(): RowRing | null {
    return this.closing === null ? this.rows : null;
  }

  get dropped(): number {
    return this.rows.dropped + this.counts.lostEvents;
  }

  /** Events committed (a folded row counts its events). */
  get written(): number {
    return this.counts.written;
  }

  /** Events committed as part of a row that stands for more than one (written minus rows). */
  get folded(): number {
    return this.counts.written - this.counts.rows;
  }

  /** How the writer thread was lowered (`idle`, `nice`, `none`); undefined until it has started. */
  get writerPriority(): WriterCounts['priority'] {
    return this.counts.priority;
  }

  get expired(): number {
    return this.counts.expired;
  }

  /** Posts the queued rows, bounded in flight (every one when closing). */
  private post(closing = false): void {
    while (closing || this.postedRows - this.counts.handledRows < IN_FLIGHT_MAX) {
      const batch = this.rows.take(POST_MAX, Infinity);
      if (batch === null) return;
      this.postedRows += batchSize(batch).rows;
      this.worker.postMessage({ batch } satisfies ToWriter, transferables(batch));
    }
  }

  /** Posts what is queued, lets the writer commit it, and stops the thread. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      clearInterval(this.timer);
      this.post(true);
      const done = (): void => {
        clearTimeout(guard);
        void this.worker.terminate().then(() => resolve());
      };
      // A writer stuck on a dead disk must not hold up shutdown for ever.
      const guard = setTimeout(done, 5000);
      this.worker.on('message', (c: WriterCounts) => c.closed === true && done());
      this.worker.on('exit', done);
      this.worker.postMessage({ close: true } satisfies ToWriter);
    });
    return this.closing;
  }
}
