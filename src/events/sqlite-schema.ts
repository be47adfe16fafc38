// The event database file: opened by the writer (created and upgraded when needed) and read-only by
// searches (`GET /api/events`, `banwall events`). The columns are those of columns.ts.
import { DatabaseSync } from 'node:sqlite';

/** 2: `count` and `last_time`, for folded repeats (events.foldWindow). */
export const SCHEMA_VERSION = 2;

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
      throw new Error(
        `${file}: not an event store of this banwall (yet): schema ${v.user_version}` +
          (v.user_version === 1 ? ' (banwall serve upgrades it when it opens it)' : ''),
      );
    }
    return db;
  }
  // auto_vacuum must be chosen before the first table exists; it lets retention shrink the file.
  db.exec('PRAGMA auto_vacuum = INCREMENTAL');
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a process crash; only a power loss can lose the last ones.
  db.exec('PRAGMA synchronous = NORMAL');
  // Checkpoint every ~40 MB of WAL instead of 4: the tail pages of the table and its indexes, which
  // every commit rewrites, are copied into the file once per checkpoint, not once per 4 MB (~0.4 µs
  // of the writer's CPU per row). The WAL file is kept at that size and reused.
  db.exec('PRAGMA wal_autocheckpoint = 10000');
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
        intercepted INTEGER NOT NULL,
        count INTEGER NOT NULL DEFAULT 1,
        last_time INTEGER
      );
      CREATE INDEX IF NOT EXISTS events_time ON events (time);
      CREATE INDEX IF NOT EXISTS events_client ON events (client_key, time);
      CREATE INDEX IF NOT EXISTS events_app ON events (app, time);
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
  } else if (v.user_version === 1) {
    // Adding columns rewrites nothing: old rows read count 1 and (through coalesce) last = time.
    db.exec(`
      BEGIN;
      ALTER TABLE events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE events ADD COLUMN last_time INTEGER;
      PRAGMA user_version = ${SCHEMA_VERSION};
      COMMIT;
    `);
  } else if (v.user_version !== SCHEMA_VERSION) {
    db.close();
    throw new Error(`${file}: event store schema ${v.user_version}, this banwall reads ${SCHEMA_VERSION}`);
  }
  return db;
}
