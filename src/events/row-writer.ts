// Writes encoded batches (batch-codec.ts) into a schema-3 file (sqlite-schema.ts): each string to its
// dictionary id (a batch sends each distinct string once, so an id is looked up once per batch and
// string; the writer keeps the ids it has seen), the rule NULL when it is the name, the rule's file
// and line apart, the duration in whole µs (every producer rounds it to µs), and the batch's rows
// added to the newest span (or a new one), which the time filters and retention read. The caller
// holds the transaction.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { NUMBERS, REF_FIELDS, REFS, type EncodedBatch } from './batch-codec.ts';

/** Rows a span covers at most: a time filter reads at most this many rows past its bounds. */
export const SPAN_ROWS = 4096;
/** Columns an event row binds. */
const COLUMNS = 20;
/**
 * Rows one INSERT writes (`VALUES (…), (…)`): the statement's run, its result object and step per
 * row cost ~40 % of a row's insert when one row was one statement (2.05 -> 1.27 µs a row, 32 at a
 * time, measured in isolation on a schema-3 table); the rest of a batch goes one row at a time.
 */
const MULTI = 32;
/** Dictionary ids kept in memory per table (cleared when full: the table still has them). */
const CACHE_MAX = 65_536;
const RULE = REF_FIELDS.indexOf('rule');
const SOURCE = REF_FIELDS.indexOf('source');
/** `file:line` as sourceOf writes it (a line without a leading zero, so it reads back the same). */
const FILE_LINE = /^(.*):(0|[1-9]\d{0,9})$/s;

class Dictionary {
  private readonly ids = new Map<string, number>();
  private readonly find: StatementSync;
  private readonly add: StatementSync;

  constructor(db: DatabaseSync, table: 'strings' | 'clients', withKey: boolean) {
    this.find = db.prepare(`SELECT id FROM ${table} WHERE text = ?`);
    this.add = db.prepare(
      withKey ? `INSERT INTO ${table} (text, key) VALUES (?, ?)` : `INSERT INTO ${table} (text) VALUES (?)`,
    );
  }

  /** The id of `text`, added (with `key`) when new. */
  id(text: string, key?: Uint8Array): number {
    let id = this.ids.get(text);
    if (id !== undefined) return id;
    const row = this.find.get(text) as { id: number } | undefined;
    if (row !== undefined) id = row.id;
    else id = Number((key === undefined ? this.add.run(text) : this.add.run(text, key)).lastInsertRowid);
    if (this.ids.size >= CACHE_MAX) this.ids.clear();
    this.ids.set(text, id);
    return id;
  }

  /** Forgets the cached ids (a rolled-back transaction may have added some that are gone). */
  reset(): void {
    this.ids.clear();
  }
}

interface Span {
  first: number;
  last: number;
  minTime: number;
  maxTime: number;
}

export class RowWriter {
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
  private readonly insertMulti: StatementSync;
  /** The parameters of one multi-row INSERT, and of a single one. */
  private readonly multi = new Array<string | number | null>(MULTI * COLUMNS);
  private readonly single = new Array<string | number | null>(COLUMNS);
  private readonly updateSpan: StatementSync;
  private readonly insertSpan: StatementSync;
  private readonly strings: Dictionary;
  private readonly clients: Dictionary;
  private readonly keyOf: (client: string) => Uint8Array;
  /** The newest span, as the file has it; null: read it again. */
  private span: Span | null = null;

  constructor(db: DatabaseSync, keyOf: (client: string) => Uint8Array) {
    this.db = db;
    this.keyOf = keyOf;
    const insert = (rows: number): StatementSync =>
      db.prepare(
        `INSERT INTO events (time, client, grp, identity, layer, protocol, target, kind, decision, app,
           category, list, rule, source, line, answer, duration_us, intercepted, count, last_time)
         VALUES ${Array.from({ length: rows }, () => `(${new Array(COLUMNS).fill('?').join(', ')})`).join(', ')}`,
      );
    this.insert = insert(1);
    this.insertMulti = insert(MULTI);
    this.updateSpan = db.prepare('UPDATE spans SET last = ?, min_time = ?, max_time = ? WHERE first = ?');
    this.insertSpan = db.prepare('INSERT INTO spans (first, last, min_time, max_time) VALUES (?, ?, ?, ?)');
    this.strings = new Dictionary(db, 'strings', false);
    this.clients = new Dictionary(db, 'clients', true);
  }

  /** Inserts the rows inside the caller's transaction. */
  write(b: EncodedBatch): void {
    const { strings: s, refs: r, numbers: n, targets, lines } = b;
    // Per distinct string of the batch, its id (0: not looked up yet); the client's column apart.
    const ids = new Float64Array(s.length);
    const clientIds = new Float64Array(s.length);
    const id = (k: number): number => (ids[k] === 0 ? (ids[k] = this.strings.id(s[k])) : ids[k]);
    let first = -1;
    let last = -1;
    let minTime = Infinity;
    let maxTime = -Infinity;
    const rows = targets.length;
    // The first rows in INSERTs of MULTI rows, the rest (under MULTI) one by one.
    const inMulti = rows - (rows % MULTI);
    let done = 0;
    for (let row = 0; row < targets.length; row++) {
      const i = row * REFS;
      const j = row * NUMBERS;
      const c = r[i];
      if (clientIds[c] === 0) clientIds[c] = this.clients.id(s[c], this.keyOf(s[c]));
      const target = targets[row];
      const time = n[j];
      const lastTime = n[j + 1];
      const ruleText = s[r[i + RULE]];
      let source = s[r[i + SOURCE]];
      let line: number | null = lines[row];
      if (line < 0) {
        // A whole `file:line` (the proxy's, or a repeats row): kept apart all the same.
        const m = FILE_LINE.exec(source);
        if (m === null) {
          line = null;
        } else {
          source = m[1];
          line = Number(m[2]);
        }
      }
      const multi = done < inMulti;
      const p = multi ? this.multi : this.single;
      let k = multi ? (done % MULTI) * COLUMNS : 0;
      p[k++] = time;
      p[k++] = clientIds[c];
      p[k++] = id(r[i + 1]); // group
      p[k++] = id(r[i + 2]); // identity
      p[k++] = id(r[i + 3]); // layer
      p[k++] = id(r[i + 4]); // protocol
      p[k++] = target;
      p[k++] = id(r[i + 5]); // kind
      p[k++] = id(r[i + 6]); // decision
      p[k++] = id(r[i + 7]); // app
      p[k++] = id(r[i + 8]); // category
      p[k++] = id(r[i + 9]); // list
      p[k++] = ruleText === target ? null : this.strings.id(ruleText);
      p[k++] = lines[row] < 0 ? this.strings.id(source) : id(r[i + SOURCE]);
      p[k++] = line;
      p[k++] = id(r[i + 12]); // answer
      p[k++] = Math.round(n[j + 2] * 1000); // durationMs in µs
      p[k++] = n[j + 4]; // intercepted
      p[k++] = n[j + 3]; // count
      p[k] = lastTime === time ? null : lastTime;
      done++;
      if (!multi) {
        last = Number(this.insert.run(...p).lastInsertRowid);
        if (first < 0) first = last;
      } else if (done % MULTI === 0) {
        // Rows of one INSERT take consecutive ids (an INTEGER PRIMARY KEY without AUTOINCREMENT).
        last = Number(this.insertMulti.run(...p).lastInsertRowid);
        if (first < 0) first = last - MULTI + 1;
      }
      if (time < minTime) minTime = time;
      if (time > maxTime) maxTime = time;
    }
    if (first >= 0) this.extendSpan(first, last, minTime, maxTime);
  }

  /** Adds ids first…last to the newest span while it holds under SPAN_ROWS rows, else starts one. */
  private extendSpan(first: number, last: number, minTime: number, maxTime: number): void {
    const span = (this.span ??= this.newestSpan());
    if (span !== null && span.last < first && last - span.first < SPAN_ROWS) {
      span.last = last;
      span.minTime = Math.min(span.minTime, minTime);
      span.maxTime = Math.max(span.maxTime, maxTime);
      this.updateSpan.run(span.last, span.minTime, span.maxTime, span.first);
      return;
    }
    this.insertSpan.run(first, last, minTime, maxTime);
    this.span = { first, last, minTime, maxTime };
  }

  private newestSpan(): Span | null {
    const row = this.db
      .prepare(
        'SELECT first, last, min_time AS minTime, max_time AS maxTime FROM spans ORDER BY first DESC LIMIT 1',
      )
      .get() as Span | undefined;
    return row === undefined ? null : { ...row };
  }

  /** After retention deleted spans: read the newest again. */
  forgetSpan(): void {
    this.span = null;
  }

  /** After a rollback: what is cached may no longer be in the file. */
  reset(): void {
    this.span = null;
    this.strings.reset();
    this.clients.reset();
  }
}
