// The AdminOps the HTTP listener asks, made of plain objects, for testing it without DNS, policy or
// upstreams. `dnsStats` and `reloadStats` are real, so a test can record traffic and register metrics.
import { configSchema, type Config } from '../../src/config/schema.ts';
import type { AdminOps, ReloadResult } from '../../src/api/admin-ops.ts';
import type { Explanation, PolicySnapshot, RuleRef } from '../../src/policy/snapshot.ts';
import type { ListStatus } from '../../src/policy/refresher.ts';
import type { UpstreamHealth } from '../../src/dns/upstream/upstream-resolver.ts';
import { RESULTS, type Result } from '../../src/dns/resolver.ts';
import { DnsStats } from '../../src/dns/stats/dns-stats.ts';
import { ReloadStats } from '../../src/metrics/reload-stats.ts';

export const RULE: RuleRef = {
  list: 'wechat-core',
  app: 'wechat',
  category: 'core',
  source: 'blocklists/wechat/core.txt',
  line: 12,
  rule: 'weixin.qq.com',
  action: { kind: 'nxdomain' },
};

export interface FakeApp extends AdminOps {
  readonly dnsStats: DnsStats;
  readonly reloadStats: ReloadStats;
  upstreamHealth: UpstreamHealth[];
  reloadResult: ReloadResult;
  reloads: string[];
  flushes: number;
}

export function fakeApp(overrides: Record<string, unknown> = {}): FakeApp {
  const config: Config = configSchema.parse({
    dns: { listen: ['127.0.0.1:0'], upstreams: ['udp://127.0.0.1:53'] },
    http: { listen: ['127.0.0.1:0'] },
    ...overrides,
  });
  const now = Date.now();
  // Snapshot summary and live refresh state (the refresher's), as the app's lists() merges them.
  const lists: ListStatus[] = [
    {
      name: 'wechat-core',
      app: 'wechat',
      category: 'core',
      source: 'blocklists/wechat/core.txt',
      entries: 42,
      badLines: 0,
      lastSuccess: now - 5000,
      refreshFailures: 0,
      refreshInterval: 0,
    },
    {
      name: 'remote',
      app: 'kaspersky',
      category: 'update',
      source: 'https://127.0.0.1:1/list.txt',
      entries: 7,
      badLines: 1,
      lastSuccess: now - 3 * 3_600_000,
      refreshFailures: 4,
      refreshInterval: 3_600_000,
    },
  ];
  const snapshot = {
    generation: 3,
    lists: () => lists,
    explain: (name: string, client: string): Explanation => {
      const blocked = name === 'weixin.qq.com' || name.endsWith('.weixin.qq.com');
      return {
        name,
        client,
        group: 'default',
        blocked,
        decidingRule: blocked ? RULE : undefined,
        blockRules: blocked ? [RULE] : [],
        allowRules: [],
      };
    },
  } as unknown as PolicySnapshot;
  const dnsStats = new DnsStats();
  const app: FakeApp = {
    version: '9.9.9-test',
    startedAt: now - 61_000,
    config: () => config,
    policy: { current: snapshot },
    lists: () => lists,
    dnsStats,
    reloadStats: new ReloadStats(),
    upstreamHealth: [
      { url: 'udp://127.0.0.1:53', healthy: true, answering: true, latencyMs: 1.5 },
      { url: 'udp://127.0.0.2:53', healthy: false, answering: false, latencyMs: 0 },
    ],
    upstreams: () => app.upstreamHealth,
    cacheSize: () => ({ entries: 12, bytes: 3400 }),
    queryTotals: () => {
      const out = {} as Record<Result, number>;
      for (const r of RESULTS) out[r] = dnsStats.total(r);
      return out;
    },
    topWindowMinutes: dnsStats.topBlockedNames.minutes,
    topBlocked: (n, minutes) => ({
      windowMinutes: minutes,
      names: dnsStats.topBlockedNames.top(n, performance.now(), minutes),
      clients: dnsStats.topBlockedClients.top(n, performance.now(), minutes),
    }),
    flushCache: () => {
      app.flushes++;
      return { entries: 12, bytes: 3400 };
    },
    eventStoreEnabled: () => false,
    searchEvents: () => ({ events: [] }),
    summarizeEvents: () => [],
    attachEventStream: () => false,
    auditTail: () => null,
    explainLive: async () => ({ decision: 'not-asked', asked: false, targets: [], addresses: [] }),
    reloadResult: { ok: true, generation: 4, errors: [] },
    reloads: [],
    flushes: 0,
    reload: async (reason: string) => {
      app.reloads.push(reason);
      app.reloadStats.record(app.reloadResult.ok);
      return app.reloadResult;
    },
    proxyAddresses: () => config.proxy?.listen ?? [],
  };
  return app;
}
