// The serving thread's side of the event store: identical repeats within `foldWindow` folded into
// one count (repeat-folder.ts: a hashed table, no object per event), the rows in a bounded ring
// (row-ring.ts, one column write per field), posted to the writer thread (store-worker.ts) once per
// flush interval. The writer then writes rows as they come (it folds nothing more). `offer` never
// waits: a slow disk keeps rows in flight, then fills the ring, and then the oldest rows are dropped
// and their events counted (banwall_events_dropped_total{sink="store"}).
import type { Worker } from 'node:worker_threads';
import { tsWorker } from '../ts-worker.ts';
import type { PolicyEvent } from './event.ts';
import { RowRing } from './row-ring.ts';
import { RepeatFolder } from './repeat-folder.ts';
import type { EventStoreOptions } from './sqlite-store.ts';
import { NO_WRITES, type ToWriter, type WriterCounts } from './writer-protocol.ts';
import { batchSize, transferables } from './batch-codec.ts';
import { pushEvent, type EventSink, type RowSink } from './event-sink.ts';
import { storeFileNeedsWriter } from './store-file.ts';

export interface EventStoreStart {
  /**
   * Start the writer thread (a V8 isolate with SQLite, ~11 MB of RSS) on the first event rather
   * than now; meanwhile the file an earlier run left is checked every retention interval and the
   * writer started when it needs an upgrade or retention (store-file.ts). The app sets it.
   */
  readonly lazy?: boolean;
}

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
  private readonly foldWindow: number;
  /** Folds repeats before they become rows: made with the first event (its table is ~3 MB, which
   * an idle resolver does not carry); null until then, and with `foldWindow` 0 (a row per event). */
  private folder: RepeatFolder | null = null;
  private readonly opts: EventStoreOptions;
  private worker: Worker | null = null;
  private readonly timer: NodeJS.Timeout;
  private fileCheck: NodeJS.Timeout | undefined;
  private counts: WriterCounts = NO_WRITES;
  private postedRows = 0;
  private closing: Promise<void> | null = null;
  /** Set when the writer could not open the file; the store then only counts drops. */
  error: string | undefined;

  constructor(opts: EventStoreOptions & EventStoreStart) {
    this.file = opts.file;
    const { lazy, ...writerOpts } = opts;
    // Folded here: the writer's own fold (a Map lookup per row) would find nothing left to fold.
    this.opts = { ...writerOpts, foldWindow: 0 };
    this.rows = new RowRing(opts.queueSize, 0);
    this.foldWindow = opts.foldWindow ?? 0;
    this.timer = setInterval(() => this.post(), opts.flushInterval);
    this.timer.unref();
    if (lazy !== true) {
      this.startWriter();
      return;
    }
    const check = (): void => {
      if (this.worker === null && storeFileNeedsWriter(opts)) this.startWriter();
    };
    // Soon after start (an upgrade, or retention overdue since the last run), then as retention runs.
    setTimeout(check, 1000).unref();
    this.fileCheck = setInterval(check, opts.retentionInterval ?? 60_000);
    this.fileCheck.unref();
  }

  /** Whether the writer thread runs (it starts on the first event when `lazy`). */
  get started(): boolean {
    return this.worker !== null;
  }

  private startWriter(): Worker {
    if (this.worker !== null) return this.worker;
    clearInterval(this.fileCheck);
    // Through tsWorker: a plain Worker on the .ts file loaded Node's type stripper at every start.
    const worker = tsWorker(new URL('./store-worker.ts', import.meta.url), { workerData: this.opts });
    worker.on('message', (c: WriterCounts) => {
      this.counts = c;
      if (c.error !== undefined) this.error = c.error;
    });
    worker.on('error', (err) => {
      this.error = err.message;
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  offer(event: PolicyEvent): void {
    if (this.closing !== null) return;
    const folder = this.firstEvent();
    if (folder === null) {
      this.rows.offer(event);
      return;
    }
    folder.now = performance.now();
    pushEvent(folder, event, event.time, 1);
  }

  directRows(): RowSink | null {
    if (this.closing !== null) return null;
    // Asked for once per turn with events to add.
    const folder = this.firstEvent();
    if (folder === null) return this.rows;
    // One clock read per turn: the windows of this turn's new entries start at it.
    folder.now = performance.now();
    return folder;
  }

  /**
   * An event is coming: the writer starts with the first (its start, a thread, 0.1–1 s under
   * load, overlaps the flush interval instead of following it), and so does the folder.
   */
  private firstEvent(): RepeatFolder | null {
    if (this.worker === null) this.startWriter();
    if (this.folder === null && this.foldWindow > 0)
      this.folder = new RepeatFolder(this.rows, this.foldWindow);
    return this.folder;
  }

  /**
   * Starts the writer now, ahead of the first event: an operator is watching (the console's live
   * feed is open, a search came), so the first block is searchable one flush interval after it,
   * not a thread's start later.
   */
  warm(): void {
    if (this.closing === null) this.startWriter();
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
    // Repeats whose window has passed (every one when closing) become rows first.
    this.folder?.drain(closing ? Infinity : performance.now());
    while (closing || this.postedRows - this.counts.handledRows < IN_FLIGHT_MAX) {
      const batch = this.rows.take(POST_MAX, Infinity);
      if (batch === null) return;
      this.postedRows += batchSize(batch).rows;
      this.startWriter().postMessage({ batch } satisfies ToWriter, transferables(batch));
    }
  }

  /** Posts what is queued, lets the writer commit it, and stops the thread. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      clearInterval(this.timer);
      clearInterval(this.fileCheck);
      this.post(true);
      const worker = this.worker;
      // Never started (no event came): nothing to write.
      if (worker === null) {
        resolve();
        return;
      }
      const done = (): void => {
        clearTimeout(guard);
        void worker.terminate().then(() => resolve());
      };
      // A writer stuck on a dead disk must not hold up shutdown for ever.
      const guard = setTimeout(done, 5000);
      worker.on('message', (c: WriterCounts) => c.closed === true && done());
      worker.on('exit', done);
      worker.postMessage({ close: true } satisfies ToWriter);
    });
    return this.closing;
  }
}
