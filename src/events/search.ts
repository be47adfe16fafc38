// Searches of the event store, shared by `GET /api/events`, its summary and export, and the
// `banwall events` command: one filter shape, one SQL builder, values always bound as parameters.
import type { DatabaseSync } from 'node:sqlite';
import { EVENT_DECISIONS, EVENT_LAYERS, type FoldedEvent } from './event.ts';
import { cidrRange } from './address-key.ts';
import { CSV_FIELDS, selectFields } from './columns.ts';
import { schemaOf } from './sqlite-schema.ts';

export interface EventFilter {
  /** Epoch ms, inclusive. */
  readonly since?: number;
  /** Epoch ms, exclusive. */
  readonly until?: number;
  /** An address or a CIDR. */
  readonly client?: string;
  readonly group?: string;
  readonly app?: string;
  readonly category?: string;
  readonly list?: string;
  readonly layer?: string;
  readonly decision?: string;
  /** Substring of the name or URL. */
  readonly q?: string;
  readonly limit?: number;
  /** The `next` of the previous page: rows older than it. */
  readonly cursor?: number;
}

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;
export const SUMMARY_KEYS = ['client', 'app', 'category', 'list', 'group', 'layer', 'decision'] as const;
export type SummaryKey = (typeof SUMMARY_KEYS)[number];

/** A row of the store: an event, or identical repeats folded into one with their `count`. */
export interface StoredEvent extends FoldedEvent {
  readonly id: number;
}

export interface EventPage {
  readonly events: readonly StoredEvent[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  readonly next?: number;
}

export class FilterError extends Error {
  readonly code = 'BANWALL_EVENT_FILTER';
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `since`/`until` as ISO time, epoch ms, or a span back from now (`15m`, `24h`, `7d`). */
export function parseTime(text: string, now = Date.now()): number {
  const span = DURATION.exec(text);
  if (span) return now - Number(span[1]) * UNIT_MS[span[2]];
  if (/^\d{10,}$/.test(text)) return Number(text);
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new FilterError(`${JSON.stringify(text)} is not a time (ISO 8601, epoch ms, or 15m/24h/7d)`);
  return t;
}

/** Reads a filter from query parameters (the API) or parsed options (the CLI); throws FilterError. */
export function filterFrom(get: (key: string) => string | undefined, now = Date.now()): EventFilter {
  const text = (k: string): string | undefined => {
    const v = get(k);
    return v === undefined || v === '' ? undefined : v;
  };
  const since = text('since');
  const until = text('until');
  const limitText = text('limit');
  const cursorText = text('cursor');
  const client = text('client');
  const layer = text('layer');
  const decision = text('decision');
  if (client !== undefined && cidrRange(client) === null) {
    throw new FilterError(`client ${JSON.stringify(client)} is not an address or CIDR`);
  }
  if (layer !== undefined && !(EVENT_LAYERS as readonly string[]).includes(layer)) {
    throw new FilterError(`layer must be one of ${EVENT_LAYERS.join(', ')}`);
  }
  if (decision !== undefined && !(EVENT_DECISIONS as readonly string[]).includes(decision)) {
    throw new FilterError(`decision must be one of ${EVENT_DECISIONS.join(', ')}`);
  }
  let limit: number | undefined;
  if (limitText !== undefined) {
    limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new FilterError(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
    }
  }
  let cursor: number | undefined;
  if (cursorText !== undefined) {
    cursor = Number(cursorText);
    if (!Number.isSafeInteger(cursor) || cursor < 1)
      throw new FilterError('cursor is not one this server gave');
  }
  return {
    since: since === undefined ? undefined : parseTime(since, now),
    until: until === undefined ? undefined : parseTime(until, now),
    client,
    group: text('group'),
    app: text('app'),
    category: text('category'),
    list: text('list'),
    layer,
    decision,
    q: text('q'),
    limit,
    cursor,
  };
}

/** The SQL column of a filter or summary key (`group` is `grp`). */
const COLUMN: Record<string, string> = {
  group: 'grp',
  app: 'app',
  category: 'category',
  list: 'list',
  layer: 'layer',
  decision: 'decision',
  client: 'client',
};

function where(f: EventFilter, schema: number): { sql: string; params: (string | number | Uint8Array)[] } {
  const clauses: string[] = [];
  const params: (string | number | Uint8Array)[] = [];
  const add = (clause: string, ...values: (string | number | Uint8Array)[]): void => {
    clauses.push(clause);
    params.push(...values);
  };
  const v3 = schema !== 2;
  // Schema 3 has no index on time: the spans give the rowid range the times can be in (exact).
  if (f.since !== undefined) {
    if (v3)
      add(
        'e.id >= (SELECT coalesce(min(first), 9223372036854775807) FROM spans WHERE max_time >= ?)',
        f.since,
      );
    add('e.time >= ?', f.since);
  }
  if (f.until !== undefined) {
    if (v3) add('e.id <= (SELECT coalesce(max(last), 0) FROM spans WHERE min_time < ?)', f.until);
    add('e.time < ?', f.until);
  }
  if (f.client !== undefined) {
    const r = cidrRange(f.client)!;
    if (v3) add('e.client IN (SELECT id FROM clients WHERE key BETWEEN ? AND ?)', r.lo, r.hi);
    else add('e.client_key BETWEEN ? AND ?', r.lo, r.hi);
  }
  for (const key of ['group', 'app', 'category', 'list', 'layer', 'decision'] as const) {
    const v = f[key];
    if (typeof v !== 'string') continue;
    if (v3) add(`e.${COLUMN[key]} = (SELECT id FROM strings WHERE text = ?)`, v);
    else add(`e.${COLUMN[key]} = ?`, v);
  }
  if (f.q !== undefined) {
    // instr() instead of LIKE: no wildcard characters to escape in what the operator typed.
    add('instr(lower(e.target), ?) > 0', f.q.toLowerCase());
  }
  if (f.cursor !== undefined) add('e.id < ?', f.cursor);
  return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** A row as selectFields names it: the event's fields, `intercepted` as 0/1. */
type Row = Omit<StoredEvent, 'intercepted'> & { intercepted: number };

function toEvent(r: Row): StoredEvent {
  return { ...r, intercepted: r.intercepted === 1 };
}

/** Newest first, one page; `next` continues with older rows. */
export function searchEvents(db: DatabaseSync, f: EventFilter): EventPage {
  const limit = f.limit ?? DEFAULT_LIMIT;
  const schema = schemaOf(db);
  const w = where(f, schema);
  const rows = db
    .prepare(`SELECT e.id AS id, ${selectFields(schema)} FROM events e ${w.sql} ORDER BY e.id DESC LIMIT ?`)
    .all(...w.params, limit + 1) as unknown as Row[];
  const more = rows.length > limit;
  const events = rows.slice(0, limit).map(toEvent);
  return more ? { events, next: events[events.length - 1].id } : { events };
}

/** Events per value of `by` over the filter (a folded row counts its events), highest first. */
export function summarize(
  db: DatabaseSync,
  by: SummaryKey,
  f: EventFilter,
): { key: string; count: number; last: number }[] {
  const schema = schemaOf(db);
  const column = `e.${COLUMN[by]}`;
  const table = by === 'client' ? 'clients' : 'strings';
  const key = schema === 2 ? column : `(SELECT text FROM ${table} WHERE id = ${column})`;
  const w = where({ ...f, cursor: undefined }, schema);
  const limit = f.limit ?? DEFAULT_LIMIT;
  return db
    .prepare(
      `SELECT ${key} AS key, sum(e.count) AS count, max(coalesce(e.last_time, e.time)) AS last FROM events e ${w.sql}
       GROUP BY ${column} ORDER BY count DESC, key LIMIT ?`,
    )
    .all(...w.params, limit)
    .map((r) => ({ key: String(r.key), count: Number(r.count), last: Number(r.last) }));
}

/** An event as one JSON line, with the time in ISO form for people and log shippers. */
export function ndjsonLine(e: StoredEvent): string {
  return `${JSON.stringify({ ...e, time: new Date(e.time).toISOString(), last: new Date(e.last).toISOString() })}\n`;
}

export function csvHeader(): string {
  return `${CSV_FIELDS.join(',')}\r\n`;
}

/** RFC 4180: every field quoted when it holds a comma, a quote or a line break. */
export function csvLine(e: StoredEvent): string {
  const cells = CSV_FIELDS.map((k) => {
    const v = k === 'time' || k === 'last' ? new Date(e[k]).toISOString() : String(e[k as keyof StoredEvent]);
    // A leading = + - @ would be a formula in a spreadsheet (CSV injection): prefix a quote.
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  });
  return `${cells.join(',')}\r\n`;
}
