// The event table's columns, written once: the store's INSERT, the search's SELECT (aliased back to
// the event's field names) and the CSV export all follow this list, so a new field is added here.
import type { FoldedEvent } from './event.ts';

/** [field of the event, SQL column], in table order (client_key, derived from client, is not here). */
export const EVENT_COLUMNS: readonly (readonly [keyof FoldedEvent, string])[] = [
  ['time', 'time'],
  ['client', 'client'],
  ['group', 'grp'],
  ['identity', 'identity'],
  ['layer', 'layer'],
  ['protocol', 'protocol'],
  ['target', 'target'],
  ['kind', 'kind'],
  ['decision', 'decision'],
  ['app', 'app'],
  ['category', 'category'],
  ['list', 'list'],
  ['rule', 'rule'],
  ['source', 'source'],
  ['answer', 'answer'],
  ['durationMs', 'duration_ms'],
  ['intercepted', 'intercepted'],
  ['count', 'count'],
  ['last', 'last_time'],
];

/** `SELECT` list that gives rows the event's own field names (`grp AS "group"`…). */
export const SELECT_FIELDS = EVENT_COLUMNS.map(([field, column]) =>
  // Rows written before schema 2 have no last_time: their last is their time.
  field === 'last'
    ? `coalesce(last_time, time) AS "last"`
    : field === column
      ? column
      : `${column} AS "${field}"`,
).join(', ');

/** The INSERT's columns: the table's, with the client's 16-byte key after the client. */
export const INSERT_COLUMNS: readonly string[] = EVENT_COLUMNS.flatMap(([, column]) =>
  column === 'client' ? ['client', 'client_key'] : [column],
);

/** The export's columns: the row id, then every field. */
export const CSV_FIELDS: readonly string[] = ['id', ...EVENT_COLUMNS.map(([field]) => field)];
