// `banwall events`: searches the event store file with the filters of GET /api/events, newest first;
// `--summary BY` counts instead, `--format` picks a table, JSON lines, CSV or JSON. It opens the
// SQLite file read-only, so it works beside a running banwall (WAL) and on a copied file alike.
import path from 'node:path';
import type { CliArgs } from './args.ts';
import { loadCommandConfig } from './config-arg.ts';
import { openDatabase } from '../events/sqlite-store.ts';
import {
  csvHeader,
  csvLine,
  FilterError,
  filterFrom,
  ndjsonLine,
  searchEvents,
  summarize,
  SUMMARY_KEYS,
  type StoredEvent,
  type SummaryKey,
} from '../events/search.ts';

const FORMATS = ['table', 'ndjson', 'csv', 'json'] as const;

function opt(args: CliArgs, name: string): string | undefined {
  const v = args.options[name];
  return typeof v === 'string' ? v : undefined;
}

function tableLine(e: StoredEvent): string {
  return [
    new Date(e.time).toISOString(),
    e.client,
    `${e.layer}/${e.protocol}`,
    e.count > 1 ? `${e.decision} ×${e.count}` : e.decision,
    e.kind,
    e.target,
    e.app === '' ? '-' : `${e.app}/${e.category}`,
    e.rule === '' ? '-' : `${e.list}: ${e.rule} (${e.source})`,
    e.answer,
  ].join('  ');
}

export async function run(args: CliArgs): Promise<number> {
  const format = opt(args, 'format') ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    process.stderr.write(`banwall events: --format is one of ${FORMATS.join(', ')}\n`);
    return 2;
  }
  const by = opt(args, 'summary');
  if (by !== undefined && !(SUMMARY_KEYS as readonly string[]).includes(by)) {
    process.stderr.write(`banwall events: --summary is one of ${SUMMARY_KEYS.join(', ')}\n`);
    return 2;
  }
  let filter;
  try {
    filter = filterFrom((k) => opt(args, k));
  } catch (err) {
    if (err instanceof FilterError) {
      process.stderr.write(`banwall events: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  let file = opt(args, 'db');
  if (file === undefined) {
    const loaded = await loadCommandConfig(args);
    if (typeof loaded === 'number') return loaded;
    file = path.resolve(loaded.dir, loaded.config.events.store.path);
  }
  let db;
  try {
    db = openDatabase(file, true);
  } catch (err) {
    process.stderr.write(`banwall events: cannot open the event store ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    if (by !== undefined) {
      const counts = summarize(db, by as SummaryKey, filter);
      if (format === 'table') {
        for (const c of counts) process.stdout.write(`${String(c.count).padStart(8)}  ${c.key || '-'}\n`);
      } else {
        process.stdout.write(`${JSON.stringify({ by, counts }, null, format === 'json' ? 2 : 0)}\n`);
      }
      return 0;
    }
    const page = searchEvents(db, filter);
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    } else if (format === 'ndjson') {
      for (const e of page.events) process.stdout.write(ndjsonLine(e));
    } else if (format === 'csv') {
      process.stdout.write(csvHeader());
      for (const e of page.events) process.stdout.write(csvLine(e));
    } else {
      for (const e of page.events) process.stdout.write(`${tableLine(e)}\n`);
      if (page.next !== undefined) process.stderr.write(`(older events: --cursor ${page.next})\n`);
    }
    return 0;
  } finally {
    db.close();
  }
}
