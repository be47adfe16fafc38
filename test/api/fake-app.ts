// An AppHandle made of plain objects, for testing the HTTP listener without DNS, policy or upstreams.
import { configSchema, type Config } from '../../src/config/schema.ts';
import type { AppHandle, ReloadResult } from '../../src/app-handle.ts';
import type { PolicyStore } from '../../src/policy/store.ts';
import type { ListHealth } from '../../src/policy/refresher.ts';
import type { Chain } from '../../src/dns/chain.ts';
import type { Explanation, ListSummary, PolicySnapshot, RuleRef } from '../../src/policy/snapshot.ts';
import type { UpstreamHealth } from '../../src/dns/upstream/upstream-resolver.ts';
import { DnsStats } from '../../src/dns/stats/dns-stats.ts';
import { ProxyStats } from '../../src/proxy/proxy-stats.ts';
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

export interface FakeApp extends AppHandle {
  upstreams: UpstreamHealth[];
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
  const lists: ListSummary[] = [
    {
      name: 'wechat-core',
      app: 'wechat',
      category: 'core',
      source: 'blocklists/wechat/core.txt',
      entries: 42,
      badLines: 0,
      refreshInterval: 0,
    },
    {
      name: 'remote',
      app: 'kaspersky',
      category: 'update',
      source: 'https://127.0.0.1:1/list.txt',
      entries: 7,
      badLines: 1,
      refreshInterval: 3_600_000,
    },
  ];
  // Live refresh state is the refresher's, not the snapshot's.
  const health: Record<string, ListHealth> = {
    'wechat-core': { lastSuccess: now - 5000, refreshFailures: 0 },
    remote: { lastSuccess: now - 3 * 3_600_000, refreshFailures: 4 },
  };
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
  const app: FakeApp = {
    version: '9.9.9-test',
    startedAt: now - 61_000,
    config: () => config,
    policy: { current: snapshot, refresher: { health: (n: string) => health[n] } } as unknown as PolicyStore,
    chain: undefined as unknown as Chain,
    dnsStats: new DnsStats(),
    proxyStats: new ProxyStats(),
    reloadStats: new ReloadStats(),
    upstreams: [
      { url: 'udp://127.0.0.1:53', healthy: true, latencyMs: 1.5 },
      { url: 'udp://127.0.0.2:53', healthy: false, latencyMs: 0 },
    ],
    reloadResult: { ok: true, generation: 4, errors: [] },
    reloads: [],
    flushes: 0,
    reload: async (reason: string) => {
      app.reloads.push(reason);
      app.reloadStats!.record(app.reloadResult.ok);
      return app.reloadResult;
    },
    proxyAddresses: () => config.proxy?.listen ?? [],
  };
  (app as { chain: unknown }).chain = {
    upstream: { health: () => app.upstreams },
    cache: {
      size: { entries: 12, bytes: 3400 },
      flush: () => void app.flushes++,
    },
  };
  return app;
}
