// The embedded event store: one SQLite file (Node's built-in node:sqlite, no native addon), WAL mode,
// indexed for time, client and app, so that `npm start` alone keeps a searchable history.
//
// The serving path only pushes onto a bounded EventQueue; a timer drains it in batched transactions
// (one fsync-free WAL append per batch with synchronous=NORMAL). A process crash therefore loses at
// most the events still queued: those of the last flush interval, and never more than the queue holds.
// Retention by age and by size runs while serving, and incremental vacuum gives the space back.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { PolicyEvent } from './event.ts';
import { EventQueue } from './event-queue.ts';
import { addressKey } from './address-key.ts';

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
  /** How often retention runs, in ms. */
  readonly retentionInterval?: number;
}

/** Rows a transaction writes at most; a larger backlog is written over several turns. */
const BATCH = 2000;
const SCHEMA_VERSION = 1;

const COLUMNS = [
  'time',
  'client',
  'client_key',
  'grp',
  'identity',
  'layer',
  'protocol',
  'target',
  'kind',
  'decision',
  'app',
  'category',
  'list',
  'rule',
  'source',
  'answer',
  'duration_ms',
  'intercepted',
] as const;

export class SqliteEventStore {
  readonly file: string;
  readonly db: DatabaseSync;
  private readonly queue: EventQueue;
  private readonly opts: EventStoreOptions;
  private readonly insert: StatementSync;
  private flushTimer: NodeJS.Timeout | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private urgent = false;
  private closed = false;
  /** Rows committed since start, and rows removed by retention. */
  written = 0;
  expired = 0;
  /** Batches that failed to commit (disk full, file removed), and the events they held. */
  failed = 0;
  private failedRows = 0;

  constructor(opts: EventStoreOptions) {
    this.opts = opts;
    this.file = opts.file;
    mkdirSync(path.dirname(opts.file), { recursive: true });
    this.db = openDatabase(opts.file);
    this.queue = new EventQueue(opts.queueSize);
    this.insert = this.db.prepare(
      `INSERT INTO events (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
    );
  }

  /** Starts the writer and the retention timers (separate from the constructor so tests can step). */
  start(): void {
    this.flushTimer = setInterval(() => this.flush(), this.opts.flushInterval);
    this.flushTimer.unref();
    this.enforceRetention();
    this.retentionTimer = setInterval(() => this.enforceRetention(), this.opts.retentionInterval ?? 60_000);
    this.retentionTimer.unref();
  }

  /** Called on the serving path: never blocks, never throws. */
  offer(event: PolicyEvent): void {
    if (this.closed) return;
    this.queue.push(event);
    if (this.queue.length >= BATCH && !this.urgent) {
      // A burst: write it on the next turn instead of waiting for the timer.
      this.urgent = true;
      setImmediate(() => {
        this.urgent = false;
        this.flush();
      });
    }
  }

  /** Events dropped: overwritten in the queue, or lost with a batch that failed to commit. */
  get dropped(): number {
    return this.queue.dropped + this.failedRows;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Writes what is queued, one transaction per BATCH events. */
  flush(): void {
    while (this.queue.length > 0) {
      const batch = this.queue.take(BATCH);
      try {
        this.db.exec('BEGIN');
        for (const e of batch) {
          this.insert.run(
            e.time,
            e.client,
            addressKey(e.client),
            e.group,
            e.identity,
            e.layer,
            e.protocol,
            e.target,
            e.kind,
            e.decision,
            e.app,
            e.category,
            e.list,
            e.rule,
            e.source,
            e.answer,
            e.durationMs,
            e.intercepted ? 1 : 0,
          );
        }
        this.db.exec('COMMIT');
        this.written += batch.length;
      } catch {
        try {
          this.db.exec('ROLLBACK');
        } catch {
          // no transaction was open
        }
        this.failed++;
        this.failedRows += batch.length;
        return;
      }
    }
  }

  /** Deletes rows past `maxAge`, then the oldest rows while the live pages exceed `maxBytes`. */
  enforceRetention(now = Date.now()): void {
    try {
      if (this.opts.maxAge > 0) {
        const r = this.db.prepare('DELETE FROM events WHERE time < ?').run(now - this.opts.maxAge);
        this.expired += Number(r.changes);
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
          const r = this.db
            .prepare('DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?)')
            .run(rows);
          this.expired += Number(r.changes);
        }
      }
      this.db.exec('PRAGMA incremental_vacuum');
    } catch {
      // Retention is retried on the next interval; a locked or full disk must not stop serving.
    }
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

/** Opens (creating when new) an event database; readers (`banwall events`) open the same file. */
export function openDatabase(file: string, readOnly = false): DatabaseSync {
  const db = new DatabaseSync(file, { readOnly });
  // Wait a little for a writer's transaction instead of failing a search at once.
  db.exec('PRAGMA busy_timeout = 2000');
  if (readOnly) {
    // A reader can open the file between the writer creating it and creating the table.
    const v = db.prepare('PRAGMA user_version').get() as { user_version: number };
    if (v.user_version !== SCHEMA_VERSION) {
      db.close();
      throw new Error(`${file}: not an event store of this banwall (yet): schema ${v.user_version}`);
    }
    return db;
  }
  // auto_vacuum must be chosen before the first table exists; it lets retention shrink the file.
  db.exec('PRAGMA auto_vacuum = INCREMENTAL');
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a process crash; only a power loss can lose the last ones.
  db.exec('PRAGMA synchronous = NORMAL');
  const v = db.prepare('PRAGMA user_version').get() as { user_version: number };
  if (v.user_version === 0) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY,
        time INTEGER NOT NULL,
        client TEXT NOT NULL,
        client_key BLOB NOT NULL,
        grp TEXT NOT NULL,
        identity TEXT NOT NULL,
        layer TEXT NOT NULL,
        protocol TEXT NOT NULL,
        target TEXT NOT NULL,
        kind TEXT NOT NULL,
        decision TEXT NOT NULL,
        app TEXT NOT NULL,
        category TEXT NOT NULL,
        list TEXT NOT NULL,
        rule TEXT NOT NULL,
        source TEXT NOT NULL,
        answer TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        intercepted INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS events_time ON events (time);
      CREATE INDEX IF NOT EXISTS events_client ON events (client_key, time);
      CREATE INDEX IF NOT EXISTS events_app ON events (app, time);
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
  } else if (v.user_version !== SCHEMA_VERSION) {
    db.close();
    throw new Error(`${file}: event store schema ${v.user_version}, this banwall reads ${SCHEMA_VERSION}`);
  }
  return db;
}
