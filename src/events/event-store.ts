// The serving thread's side of the event store: a bounded queue, posted to the writer thread
// (store-worker.ts) once per flush interval. `offer` never waits: a slow disk fills the queue, and
// then the oldest events are dropped and counted (banwall_events_dropped_total{sink="store"}).
import type { Worker } from 'node:worker_threads';
import { tsWorker } from '../ts-worker.ts';
import { EventQueue } from './event-queue.ts';
import type { PolicyEvent } from './event.ts';
import type { EventStoreOptions } from './sqlite-store.ts';
import type { ToWriter, WriterCounts } from './store-worker.ts';
import { encodeBatch } from './batch-codec.ts';
import type { EventSink } from './event-sink.ts';

/** What one post may carry at most; a larger backlog goes in several posts. */
const POST_MAX = 4096;

export class EventStore implements EventSink {
  readonly name = 'store';
  readonly file: string;
  private readonly queue: EventQueue;
  private readonly worker: Worker;
  private readonly timer: NodeJS.Timeout;
  private counts: WriterCounts = { written: 0, expired: 0, failed: 0, failedRows: 0 };
  private closing: Promise<void> | null = null;
  /** Set when the writer could not open the file; the store then only counts drops. */
  error: string | undefined;

  constructor(opts: EventStoreOptions) {
    this.file = opts.file;
    this.queue = new EventQueue(opts.queueSize);
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
    if (this.closing === null) this.queue.push(event);
  }

  get dropped(): number {
    return this.queue.dropped + this.counts.failedRows;
  }

  get written(): number {
    return this.counts.written;
  }

  get expired(): number {
    return this.counts.expired;
  }

  private post(): void {
    while (this.queue.length > 0) {
      const msg: ToWriter = { batch: encodeBatch(this.queue.take(POST_MAX)) };
      this.worker.postMessage(msg);
    }
  }

  /** Posts what is queued, lets the writer commit it, and stops the thread. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      clearInterval(this.timer);
      this.post();
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
