// The event endpoints: GET /api/events (search, newest first, cursor paging), /api/events/summary
// (counts by client, app, category, list…), /api/events/export (NDJSON or CSV, every page) and
// /api/events/stream (Server-Sent Events of new blocks, for the console's live feed).
import type { ServerResponse } from 'node:http';
import type { AdminOps } from './admin-ops.ts';
import { FilterError, filterFrom, SUMMARY_KEYS, csvHeader, csvLine, ndjsonLine } from '../events/search.ts';
import type { EventFilter, SummaryKey } from '../events/search.ts';
import { sendError, sendJson } from './respond.ts';

/** Rows one export may hold: a year of blocks at a busy site, bounded. */
const EXPORT_MAX = 1_000_000;

function filterOf(url: URL, res: ServerResponse): EventFilter | null {
  try {
    return filterFrom((k) => url.searchParams.get(k) ?? undefined);
  } catch (err) {
    if (err instanceof FilterError) {
      sendError(res, 400, err.message);
      return null;
    }
    throw err;
  }
}

function storeMissing(app: AdminOps, res: ServerResponse): boolean {
  if (app.eventStoreEnabled()) return false;
  sendError(res, 404, 'the event store is off (events.store.enabled: false)');
  return true;
}

/** GET /api/events?since=&until=&client=&group=&app=&category=&layer=&decision=&q=&limit=&cursor= */
export function search(app: AdminOps, res: ServerResponse, url: URL): void {
  if (storeMissing(app, res)) return;
  const f = filterOf(url, res);
  if (f !== null) sendJson(res, 200, app.searchEvents(f));
}

/** GET /api/events/summary?by=client|app|category|list|group|layer|decision&since= */
export function summary(app: AdminOps, res: ServerResponse, url: URL): void {
  if (storeMissing(app, res)) return;
  const by = url.searchParams.get('by') ?? 'app';
  if (!(SUMMARY_KEYS as readonly string[]).includes(by)) {
    sendError(res, 400, `by must be one of ${SUMMARY_KEYS.join(', ')}`);
    return;
  }
  const f = filterOf(url, res);
  if (f !== null) sendJson(res, 200, { by, counts: app.summarizeEvents(by as SummaryKey, f) });
}

/** GET /api/events/export?format=ndjson|csv&…filters: every matching event, newest first. */
export function exportEvents(app: AdminOps, res: ServerResponse, url: URL): void {
  if (storeMissing(app, res)) return;
  const format = url.searchParams.get('format') ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'csv') {
    sendError(res, 400, 'format must be ndjson or csv');
    return;
  }
  const first = filterOf(url, res);
  if (first === null) return;
  res.writeHead(200, {
    'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
    'content-disposition': `attachment; filename="banwall-events.${format === 'csv' ? 'csv' : 'ndjson'}"`,
    'cache-control': 'no-store',
  });
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  if (format === 'csv') res.write(csvHeader());
  let f: EventFilter = { ...first, limit: 1000 };
  let sent = 0;
  // Page by page, so a large export never holds more than one page in memory, and waits for the
  // client to take each page (drain) before reading the next.
  const pump = (): void => {
    while (sent < EXPORT_MAX) {
      const page = app.searchEvents(f);
      let chunk = '';
      for (const e of page.events) chunk += format === 'csv' ? csvLine(e) : ndjsonLine(e);
      sent += page.events.length;
      const flowing = chunk === '' || res.write(chunk);
      if (page.next === undefined) break;
      f = { ...f, cursor: page.next };
      if (!flowing) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

/** GET /api/events/stream: Server-Sent Events, one `event` per block as it happens. */
export function stream(app: AdminOps, res: ServerResponse): void {
  if (!app.attachEventStream(res)) sendError(res, 503, 'too many live listeners; try again later');
}

/** GET /api/audit?n=100: the newest audit entries, newest first. */
export function audit(app: AdminOps, res: ServerResponse, url: URL): void {
  const n = Math.min(1000, Math.max(1, Number.parseInt(url.searchParams.get('n') ?? '100', 10) || 100));
  const entries = app.auditTail(n);
  if (entries === null) {
    sendError(res, 404, 'the audit log is off (audit.enabled: false)');
    return;
  }
  sendJson(res, 200, { entries });
}
