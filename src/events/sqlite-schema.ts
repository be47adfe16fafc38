// The event database file: opened by the writer (created and upgraded when needed) and read-only by
// searches (`GET /api/events`, `banwall events`), which read schema 2 files too (columns.ts).
//
// Schema 3 keeps a row small (~70 bytes instead of ~250, and ~2.5 µs of SQLite per row instead of
// ~3.8, measured with the bench): every repeated string (client, group, identity, layer, protocol,
// type, decision, app, category, list, rule, the rule's file, answer) is an id into a dictionary
// (`strings`; clients in `clients` with their 16-byte key, so a CIDR is one range scan there); the
// rule is NULL when it is the name itself, the rule's line is its own integer, the duration whole
// microseconds, `last_time` NULL when it is `time`; and there is no index on time: `spans` gives,
// per run of rows (one per transaction, grown up to SPAN_ROWS rows), its first and last id and its
// lowest and highest time, so a time filter becomes a rowid range (exact: a row is inside its span's
// bounds whatever order the times came in, folded repeats and clock steps included).
import { DatabaseSync } from 'node:sqlite';
import { upgradeToV3 } from './sqlite-migrate.ts';

/** 2: `count` and `last_time`, for folded repeats (events.foldWindow). 3: dictionary ids, spans. */
export const SCHEMA_VERSION = 3;
/** Schemas the searches read: 2 as it is (until a writer upgrades the file), 3. */
export const READABLE_VERSIONS: readonly number[] = [2, 3];

/** The events columns that hold a `strings` id (the v2 text columns the upgrade turns into ids). */
export const STRING_COLUMNS = [
  'grp',
  'identity',
  'layer',
  'protocol',
  'kind',
  'decision',
  'app',
  'category',
  'list',
  'rule',
  'source',
  'answer',
] as const;

export const CREATE_V3 = `
  CREATE TABLE strings (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
  CREATE TABLE clients (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE, key BLOB NOT NULL);
  CREATE INDEX clients_key ON clients (key);
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    client INTEGER NOT NULL,
    grp INTEGER NOT NULL,
    identity INTEGER NOT NULL,
    layer INTEGER NOT NULL,
    protocol INTEGER NOT NULL,
    target TEXT NOT NULL,
    kind INTEGER NOT NULL,
    decision INTEGER NOT NULL,
    app INTEGER NOT NULL,
    category INTEGER NOT NULL,
    list INTEGER NOT NULL,
    rule INTEGER,
    source INTEGER NOT NULL,
    line INTEGER,
    answer INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    intercepted INTEGER NOT NULL,
    count INTEGER NOT NULL DEFAULT 1,
    last_time INTEGER
  );
  CREATE INDEX events_client ON events (client);
  CREATE INDEX events_app ON events (app);
  CREATE TABLE spans (first INTEGER PRIMARY KEY, last INTEGER NOT NULL, min_time INTEGER NOT NULL, max_time INTEGER NOT NULL);
`;

/** The schema version of an open file (0: empty). */
export function schemaOf(db: DatabaseSync): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

/**
 * Opens (creating when new) an event database; readers (`banwall events`) open the same file.
 * `beforeUpgrade` runs before an older file is rewritten (the writer lowers its priority then).
 */
export function openDatabase(file: string, readOnly = false, beforeUpgrade?: () => void): DatabaseSync {
  const db = new DatabaseSync(file, { readOnly });
  // Wait a little for a writer's transaction instead of failing a search at once.
  db.exec('PRAGMA busy_timeout = 2000');
  if (readOnly) {
    // A reader can open the file between the writer creating it and creating the table.
    const v = schemaOf(db);
    if (!READABLE_VERSIONS.includes(v)) {
      db.close();
      throw new Error(
        `${file}: not an event store of this banwall (yet): schema ${v}` +
          (v === 1 ? ' (banwall serve upgrades it when it opens it)' : ''),
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
  const v = schemaOf(db);
  if (v === 0) {
    db.exec(`BEGIN; ${CREATE_V3} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
  } else if (v === 1 || v === 2) {
    beforeUpgrade?.();
    upgradeToV3(db, v);
  } else if (v !== SCHEMA_VERSION) {
    db.close();
    throw new Error(`${file}: event store schema ${v}, this banwall reads ${SCHEMA_VERSION}`);
  }
  return db;
}
