// The admin API (JSON): status, explain, reload, cache flush and the top blocked names and clients.
// Asks the app only through AdminOps (./admin-ops.ts): answers, never a part's internals.
import type { ServerResponse } from 'node:http';
import type { AdminOps as AppHandle } from './admin-ops.ts';
import type { ListStatus } from '../policy/refresher.ts';
import { sendJson } from './respond.ts';

/** GET /api/status */
export function status(app: AppHandle, res: ServerResponse): void {
  const now = Date.now();
  sendJson(res, 200, {
    version: app.version,
    startedAt: new Date(app.startedAt).toISOString(),
    uptimeSeconds: Math.round((now - app.startedAt) / 1000),
    policy: { generation: app.policy.current?.generation ?? 0 },
    lists: app.lists().map((l) => listStatus(l, now)),
    upstreams: app.upstreams(),
    cache: app.cacheSize(),
    queries: app.queryTotals(),
    dnsUdpIo: app.dnsUdpIo?.() ?? null,
    canaries: app.canaryStatus?.() ?? null,
  });
}

function listStatus(l: ListStatus, now: number) {
  const age = l.lastSuccess > 0 ? Math.round((now - l.lastSuccess) / 1000) : null;
  return {
    name: l.name,
    app: l.app,
    category: l.category,
    source: l.source,
    entries: l.entries,
    badLines: l.badLines,
    lastSuccess: l.lastSuccess > 0 ? new Date(l.lastSuccess).toISOString() : null,
    ageSeconds: age,
    refreshIntervalSeconds: l.refreshInterval / 1000,
    refreshFailures: l.refreshFailures,
    // The same rule as the ListNotRefreshed alert: a remote list older than twice its interval.
    stale: l.refreshInterval > 0 && age !== null && age * 1000 > 2 * l.refreshInterval,
  };
}

/** GET /api/explain: input checks shared with `banwall explain` (src/api/explain.ts). */
export { explain } from './explain.ts';

/** POST /api/reload */
export async function reload(app: AppHandle, res: ServerResponse, actor = 'api'): Promise<void> {
  const r = await app.reload('api', actor);
  sendJson(res, r.ok ? 200 : 422, r);
}

/** POST /api/cache/flush */
export function flushCache(app: AppHandle, res: ServerResponse): void {
  const before = app.flushCache();
  sendJson(res, 200, { flushed: before.entries, bytes: before.bytes });
}

/** GET /api/top?n=10&minutes=15 */
export function top(app: AppHandle, res: ServerResponse, url: URL): void {
  const n = clampInt(url.searchParams.get('n'), 10, 1, 100);
  const window = app.topWindowMinutes;
  const minutes = clampInt(url.searchParams.get('minutes'), window, 1, window);
  const top = app.topBlocked(n, minutes);
  sendJson(res, 200, {
    windowMinutes: top.windowMinutes,
    // Counts are Space-Saving estimates: the true count lies in [count - error, count].
    names: top.names.map((e) => ({ name: e.key, count: e.count, error: e.error })),
    clients: top.clients.map((e) => ({ client: e.key, count: e.count, error: e.error })),
  });
}

function clampInt(text: string | null, dflt: number, min: number, max: number): number {
  const v = text === null ? dflt : Number.parseInt(text, 10);
  return Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : dflt;
}
