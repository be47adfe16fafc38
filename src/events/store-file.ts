// What an idle instance's event store file needs before any event comes (event-store.ts starts its
// writer thread on the first event, or when this says the file left by an earlier run needs it):
// an upgrade (an older schema), or retention (rows older than maxAge, live pages above maxBytes).
// Read-only and short: a connection opened, a few reads (at most a span's rows), closed.
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { SCHEMA_VERSION, schemaOf } from './sqlite-schema.ts';

export interface StoreFileBounds {
  readonly file: string;
  readonly maxAge: number;
  readonly maxBytes: number;
}

export function storeFileNeedsWriter(o: StoreFileBounds, now = Date.now()): boolean {
  if (!existsSync(o.file)) return false;
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(o.file, { readOnly: true });
  } catch {
    return true; // the writer opens it and reports why it cannot
  }
  try {
    db.exec('PRAGMA busy_timeout = 2000');
    const v = schemaOf(db);
    if (v === 0) return false;
    if (v !== SCHEMA_VERSION) return true;
    if (o.maxBytes > 0) {
      const pages = db
        .prepare(
          'SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count) AS n',
        )
        .get() as { n: number };
      const size = db.prepare('PRAGMA page_size').get() as { page_size: number };
      if (pages.n * size.page_size > o.maxBytes) return true;
    }
    if (o.maxAge > 0) {
      const cutoff = now - o.maxAge;
      const r = db
        .prepare(
          `SELECT EXISTS (SELECT 1 FROM events WHERE time < ? AND
             id <= (SELECT coalesce(max(last), 0) FROM spans WHERE min_time < ?)) AS old`,
        )
        .get(cutoff, cutoff) as { old: number };
      if (r.old === 1) return true;
    }
    return false;
  } catch {
    return true;
  } finally {
    db.close();
  }
}
