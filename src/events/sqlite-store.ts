// The embedded event store: one SQLite file (Node's built-in node:sqlite, no native addon), WAL mode,
// indexed for time, client and app, so that `npm start` alone keeps a searchable history.
//
// Rows arrive encoded (batch-codec.ts) from the serving thread (`offerBatch`), their repeats
// already folded there (repeat-folder.ts), and are written at once, in one transaction, as they
// came; or one event at a time through `offer` (tests, tools), folded here like syslog's "last
// message repeated N times": identical events within `foldWindow` of a written one become one more
// row with their count, written once the window has passed. With synchronous=NORMAL a commit is a
// WAL append, no fsync.
// Retention by age and by size runs while serving, and incremental vacuum gives the space back.
// `written`, `expired` and `dropped` count events (a folded row's count).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { PolicyEvent } from './event.ts';
import { RowRing } from './row-ring.ts';
import { addressKey } from './address-key.ts';
import { batchSize, type EncodedBatch } from './batch-codec.ts';
import { openDatabase, STRING_COLUMNS } from './sqlite-schema.ts';
import { RowWriter } from './row-writer.ts';

/** Strings kept before retention looks for unused ones (a pass over every row): lists' rules are
 * most of them, and a list's rules recur. */
const STRINGS_PRUNE_AT = 200_000;

export { openDatabase } from './sqlite-schema.ts';

export interface EventStoreOptions {
  /** The database file (created with its directory when missing). */
  readonly file: string;
  /** Events waiting for the writer; beyond it the oldest are dropped and counted. */
  readonly queueSize: number;
  /** How often the writer drains the queue, in ms. */
  readonly flushInterval: number;
  /** Rows older than this (ms) are deleted; 0 keeps them forever. */
  readonly maxAge: number;
  /** Above this many bytes of live pages the oldest rows are deleted; 0 for no bound. */
  readonly maxBytes: number;
  /** Identical events within this many ms are one row with a count (the serving thread folds
   * posted batches, repeat-folder.ts: this folds only what `offer` is given); 0 folds none. */
  readonly foldWindow?: number;
  /** How often retention runs, in ms. */
  readonly retentionInterval?: number;
}

/** Rows a transaction writes at most; a larger backlog is written over several turns. */
const BATCH = 2000;
/** Client keys kept: a network has few clients, and the parse is a third of a row's cost. */
const KEY_CACHE = 4096;

export class SqliteEventStore {
  readonly file: string;
  readonly db: DatabaseSync;
  /** Rows to write at the next flush. */
  private readonly pending: RowRing;
  /** Per event written, the row its repeats fold into until its window passes; null: no folding. */
  private readonly repeats: RowRing | null;
  private readonly opts: EventStoreOptions;
  private readonly rowWriter: RowWriter;
  private readonly keys = new Map<string, Uint8Array>();
  private readonly keyOf = (client: string): Uint8Array => {
    let k = this.keys.get(client);
    if (k === undefined) {
      if (this.keys.size >= KEY_CACHE) this.keys.clear();
      k = addressKey(client);
      this.keys.set(client, k);
    }
    return k;
  };
  private flushTimer: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private urgent = false;
  private closed = false;
  /** Events committed since start (a folded row counts its events), and rows written. */
  written = 0;
  rows = 0;
  /** Events removed by retention. */
  expired = 0;
  /** Batches that failed to commit (disk full, file removed), and the events they held. */
  failed = 0;
  private failedEvents = 0;

  /** `beforeUpgrade`: see openDatabase. */
  constructor(opts: EventStoreOptions, beforeUpgrade?: () => void) {
    this.opts = opts;
    this.file = opts.file;
    mkdirSync(path.dirname(opts.file), { recursive: true });
    this.db = openDatabase(opts.file, false, beforeUpgrade);
    this.pending = new RowRing(opts.queueSize, 0);
    const window = opts.foldWindow ?? 0;
    this.repeats = window > 0 ? new RowRing(opts.queueSize, window) : null;
    this.rowWriter = new RowWriter(this.db, this.keyOf);
  }

  /** Starts the writer and the retention timers (separate from the constructor so tests can step). */
  start(): void {
    this.flushTimer = setInterval(() => this.flush(performance.now()), this.opts.flushInterval);
    this.flushTimer.unref();
    this.enforceRetention();
    this.retentionTimer = setInterval(() => this.enforceRetention(), this.opts.retentionInterval ?? 60_000);
    this.retentionTimer.unref();
  }

  /** Queues one event; never blocks, never throws. */
  offer(event: PolicyEvent): void {
    if (this.closed) return;
    this.add(event, 1, event.time);
    this.flushSoonIfBig();
  }

  /**
   * Writes the rows the serving thread posted, at once and as they came (one transaction; no copy
   * into the pending ring and no re-encoding: a third of the writer's JS per row). Their repeats
   * were folded there (repeat-folder.ts): a Map lookup per row here found what is left of them.
   */
  offerBatch(batch: EncodedBatch): void {
    if (this.closed) return;
    this.write(batch);
  }

  private add(e: PolicyEvent, count: number, last: number): void {
    if (this.repeats === null) {
      this.pending.offer(e, count, last);
    } else if (!this.repeats.fold(e, count, last)) {
      this.pending.offer(e, count, last);
      this.repeats.offer(e, 0);
    }
  }

  private flushSoonIfBig(): void {
    if (this.pending.length >= BATCH && !this.urgent) {
      // A burst: write it on the next turn instead of waiting for the timer.
      this.urgent = true;
      setImmediate(() => {
        this.urgent = false;
        this.flush(performance.now());
      });
    }
  }

  /** Events dropped: overwritten in the queue, or lost with a batch that failed to commit. */
  get dropped(): number {
    return this.pending.dropped + (this.repeats?.dropped ?? 0) + this.failedEvents;
  }

  get queued(): number {
    return this.pending.length;
  }

  /**
   * Writes the new rows, and the repeats rows whose window has passed by `now` (performance.now();
   * Infinity: every one, as tests and close do), one transaction per BATCH rows.
   */
  flush(now = Infinity): void {
    for (const q of [this.pending, this.repeats]) {
      if (q === null) continue;
      for (let b = q.take(BATCH, now); b !== null; b = q.take(BATCH, now)) {
        if (!this.write(b)) return;
      }
    }
  }

  /**
   * Writes one encoded batch in one transaction; false (and
   * counted) when it could not.
   */
  write(batch: EncodedBatch): boolean {
    const size = batchSize(batch);
    try {
      this.db.exec('BEGIN');
      this.rowWriter.write(batch);
      this.db.exec('COMMIT');
      this.written += size.events;
      this.rows += size.rows;
      return true;
    } catch {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // no transaction was open
      }
      this.rowWriter.reset();
      this.failed++;
      this.failedEvents += size.events;
      return false;
    }
  }

  /** Deletes rows past `maxAge`, then the oldest rows while the live pages exceed `maxBytes`. */
  enforceRetention(now = Date.now()): void {
    try {
      if (this.opts.maxAge > 0) {
        const cutoff = now - this.opts.maxAge;
        // No index on time: the spans bound the rows that can be older than the cutoff.
        const { bound } = this.db
          .prepare('SELECT max(last) AS bound FROM spans WHERE min_time < ?')
          .get(cutoff) as { bound: number | null };
        if (bound !== null) {
          this.expired += this.countEvents(
            'SELECT count FROM events WHERE id <= ? AND time < ?',
            bound,
            cutoff,
          );
          this.db.prepare('DELETE FROM events WHERE id <= ? AND time < ?').run(bound, cutoff);
          this.pruneDictionaries(); // before the size check below: entries of deleted rows are bytes too
        }
      }
      if (this.opts.maxBytes > 0) {
        for (let round = 0; round < 8; round++) {
          const live = this.liveBytes();
          if (live <= this.opts.maxBytes) break;
          const { n } = this.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
          if (n === 0) break;
          // Rows vary in size: estimate from the average, aim 10 % under the bound, and check again.
          const excess = live - this.opts.maxBytes * 0.9;
          const rows = Math.min(n, Math.max(1, Math.ceil((excess / live) * n)));
          this.expired += this.countEvents('SELECT count FROM events ORDER BY id LIMIT ?', rows);
          this.db
            .prepare('DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?)')
            .run(rows);
          this.pruneSpans();
          this.pruneDictionaries(); // before the next measure
        }
      }
      this.pruneSpans();
      this.db.exec('PRAGMA incremental_vacuum');
    } catch {
      // Retention is retried on the next interval; a locked or full disk must not stop serving.
    }
  }

  /** Spans wholly before the oldest row left go (a span partly deleted stays: still a true bound). */
  private pruneSpans(): void {
    this.db.exec(
      'DELETE FROM spans WHERE last < coalesce((SELECT min(id) FROM events), 9223372036854775807)',
    );
    this.rowWriter.forgetSpan();
  }

  /**
   * Dictionary entries no row refers to any more go. Clients are whatever source addresses sent a
   * blocked query, spoofable by anyone on the network: kept for ever, they would grow the file past
   * `maxBytes` while the size retention deleted every event to make room. A client is checked
   * through its index; the other strings (rules, lists, identities…) only when there are many, in
   * one pass over the rows. The writer's cached ids are dropped after (a freed id is reused).
   */
  private pruneDictionaries(): void {
    const clients = this.db
      .prepare('DELETE FROM clients WHERE NOT EXISTS (SELECT 1 FROM events WHERE events.client = clients.id)')
      .run().changes;
    let strings = 0;
    const { n } = this.db.prepare('SELECT count(*) AS n FROM strings').get() as { n: number };
    if (n > STRINGS_PRUNE_AT) {
      // NOT NULL: one NULL (a rule that is the name) in the list would make every NOT IN unknown.
      const used = STRING_COLUMNS.map((c) => `SELECT ${c} FROM events WHERE ${c} IS NOT NULL`).join(
        ' UNION ',
      );
      strings = Number(this.db.prepare(`DELETE FROM strings WHERE id NOT IN (${used})`).run().changes);
    }
    if (Number(clients) + strings > 0) this.rowWriter.reset();
  }

  /** The events the rows of `rowsSql` stand for (their counts summed). */
  private countEvents(rowsSql: string, ...args: number[]): number {
    const r = this.db.prepare(`SELECT coalesce(sum(count), 0) AS n FROM (${rowsSql})`).get(...args) as {
      n: number;
    };
    return Number(r.n);
  }

  /** Bytes in pages that hold data (the file may be larger until vacuumed). */
  liveBytes(): number {
    const pc = this.db.prepare('PRAGMA page_count').get() as { page_count: number };
    const fl = this.db.prepare('PRAGMA freelist_count').get() as { freelist_count: number };
    const ps = this.db.prepare('PRAGMA page_size').get() as { page_size: number };
    return (pc.page_count - fl.freelist_count) * ps.page_size;
  }

  /** Writes what is queued and closes the file. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.flushTimer);
    clearInterval(this.retentionTimer);
    this.flush();
    this.db.close();
  }
}
