// Upgrades an event database written by an older banwall, in place and in one transaction (a crash
// or a full disk halfway leaves the old file as it was): schema 1 (before folding) and 2 (text
// columns, an index on time) become 3 (sqlite-schema.ts). Every row keeps its id (so a cursor an
// operator holds still pages on), its fields as searches show them, its count and last time. The
// old table is copied, then dropped: the file needs room for both while it runs; its pages are
// given back by incremental vacuum afterwards. Runs on the writer thread, once.
import type { DatabaseSync } from 'node:sqlite';
import { CREATE_V3, SCHEMA_VERSION, STRING_COLUMNS as DICTIONARY_COLUMNS } from './sqlite-schema.ts';
import { SPAN_ROWS } from './row-writer.ts';

export function upgradeToV3(db: DatabaseSync, from: number): void {
  const id = (column: string): string => `(SELECT id FROM strings WHERE text = o.${column})`;
  db.exec('BEGIN');
  try {
    if (from === 1) {
      // Schema 2's columns: old rows read count 1 and (through coalesce) last = time.
      db.exec(`
        ALTER TABLE events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE events ADD COLUMN last_time INTEGER;
      `);
    }
    db.exec(`
      DROP INDEX IF EXISTS events_time;
      DROP INDEX IF EXISTS events_client;
      DROP INDEX IF EXISTS events_app;
      ALTER TABLE events RENAME TO events_v2;
      ${CREATE_V3}
      INSERT OR IGNORE INTO strings (text)
        ${DICTIONARY_COLUMNS.map((c) => `SELECT ${c} FROM events_v2`).join(' UNION ')};
      INSERT OR IGNORE INTO clients (text, key) SELECT client, min(client_key) FROM events_v2 GROUP BY client;
      INSERT INTO events (id, time, client, grp, identity, layer, protocol, target, kind, decision, app,
          category, list, rule, source, line, answer, duration_us, intercepted, count, last_time)
        SELECT o.id, o.time, (SELECT id FROM clients WHERE text = o.client), ${id('grp')}, ${id('identity')},
          ${id('layer')}, ${id('protocol')}, o.target, ${id('kind')}, ${id('decision')}, ${id('app')},
          ${id('category')}, ${id('list')}, CASE WHEN o.rule = o.target THEN NULL ELSE ${id('rule')} END,
          ${id('source')}, NULL, ${id('answer')}, CAST(round(o.duration_ms * 1000) AS INTEGER),
          o.intercepted, o.count, CASE WHEN o.last_time = o.time THEN NULL ELSE o.last_time END
        FROM events_v2 o ORDER BY o.id;
      INSERT INTO spans (first, last, min_time, max_time)
        SELECT min(id), max(id), min(time), max(time) FROM events GROUP BY id / ${SPAN_ROWS};
      DROP TABLE events_v2;
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
  try {
    db.exec('PRAGMA incremental_vacuum');
  } catch {
    // the space is given back by the next retention run instead
  }
}
