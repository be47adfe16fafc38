// The event table's columns as searches read them, per schema (sqlite-schema.ts): schema 3 keeps
// ids into dictionaries, schema 2 (a file no writer has upgraded yet, or a copy) text. Each field
// is one SQL expression over `e` (the events table) giving what the event had, so every reader
// (search, summary, export) gives the same output from either. A new field is added here.
import type { FoldedEvent } from './event.ts';

/** A dictionary id column's text. */
const text = (column: string): string => `(SELECT text FROM strings WHERE id = e.${column})`;

/** [field of the event, schema-3 expression, schema-2 expression], in output order. */
const FIELDS: readonly (readonly [keyof FoldedEvent, string, string])[] = [
  ['time', 'e.time', 'e.time'],
  ['client', '(SELECT text FROM clients WHERE id = e.client)', 'e.client'],
  ['group', text('grp'), 'e.grp'],
  ['identity', text('identity'), 'e.identity'],
  ['layer', text('layer'), 'e.layer'],
  ['protocol', text('protocol'), 'e.protocol'],
  ['target', 'e.target', 'e.target'],
  ['kind', text('kind'), 'e.kind'],
  ['decision', text('decision'), 'e.decision'],
  ['app', text('app'), 'e.app'],
  ['category', text('category'), 'e.category'],
  ['list', text('list'), 'e.list'],
  // NULL: the rule is the name itself.
  ['rule', `coalesce(${text('rule')}, e.target)`, 'e.rule'],
  [
    'source',
    `(SELECT CASE WHEN e.line IS NULL THEN text ELSE text || ':' || e.line END FROM strings WHERE id = e.source)`,
    'e.source',
  ],
  ['answer', text('answer'), 'e.answer'],
  ['durationMs', 'e.duration_us / 1000.0', 'e.duration_ms'],
  ['intercepted', 'e.intercepted', 'e.intercepted'],
  ['count', 'e.count', 'e.count'],
  // Rows written before schema 2 have no last_time, schema 3 leaves it NULL when it is `time`.
  ['last', 'coalesce(e.last_time, e.time)', 'coalesce(e.last_time, e.time)'],
];

/** `SELECT` list that gives rows the event's own field names (`… AS "group"`), for a schema. */
export function selectFields(schema: number): string {
  return FIELDS.map(([field, v3, v2]) => `${schema === 2 ? v2 : v3} AS "${field}"`).join(', ');
}

/** The export's columns: the row id, then every field. */
export const CSV_FIELDS: readonly string[] = ['id', ...FIELDS.map(([field]) => field)];
