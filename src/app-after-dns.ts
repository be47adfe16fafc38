// The second phase of a start (src/app.ts): everything the first DNS answer does not need, imported
// and started once the DNS listener answers: the audit log, the encrypted front ends, the proxy, the
// canaries, the metrics, the event searches and the HTTP listener. Loading their module graph holds
// the main thread (~0.1 s here), so the DNS front end first answers what queued while the app
// started (dnsSettled). /readyz is served by the HTTP listener, which opens last: it never says
// ready before all of this is up.
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import type { LoadedConfig } from './config/config-error.ts';
import type { Logger } from './log.ts';
import type { PolicyStore } from './policy/store.ts';
import type { Chain } from './dns/chain.ts';
import type { DnsStats } from './dns/stats/dns-stats.ts';
import type { DnsServer } from './dns/server/dns-server.ts';
import type { EncryptedDnsServers } from './dns/encrypted/encrypted-servers.ts';
import type { ProxyServer } from './proxy/proxy-server.ts';
import type { ProxyStats } from './proxy/proxy-stats.ts';
import type { HttpServer } from './api/http-server.ts';
import type { AdminOps } from './api/admin-ops.ts';
import type { ReloadStats } from './metrics/reload-stats.ts';
import type { AppEvents } from './app-events.ts';
import type { AppAudit } from './app-audit.ts';
import type { Canaries } from './canary/canaries.ts';
import type * as EventSearch from './events/search.ts';
import type { openDatabase } from './events/sqlite-store.ts';

/** What the API's event searches run on (src/events/search.ts, sqlite-store.ts). */
export type EventQueries = typeof EventSearch & { readonly openDatabase: typeof openDatabase };

/** The parts this phase opens, set as each one opens: the app's stop() closes whatever is here. */
export interface LaterParts {
  encrypted?: EncryptedDnsServers;
  proxy?: ProxyServer;
  canaries?: Canaries;
  http?: HttpServer;
  eventQueries?: EventQueries;
}

/** What this phase builds on: the app as the API sees it, and the parts the first phase started. */
export interface LaterInput {
  readonly ops: AdminOps;
  readonly loaded: LoadedConfig;
  readonly log: Logger;
  readonly policy: PolicyStore;
  readonly chain: Chain;
  readonly dns: DnsServer;
  readonly dnsStats: DnsStats;
  readonly proxyStats: ProxyStats;
  readonly reloadStats: ReloadStats;
  readonly events: AppEvents;
  readonly audit: AppAudit;
  /** The config in force (canaries read it at every round). */
  readonly config: () => LoadedConfig['config'];
  /** Whether a reload is running (a recompile then leaves the audit entry to the reload). */
  readonly reloading: () => boolean;
}

/** The longest the second phase waits for the DNS front end's queries in flight (ms). */
const SETTLE_MAX_MS = 50;

/**
 * Resolves once the DNS front end has had the event loop: the queries that queued while the app
 * started are read, and those forwarded upstream are answered (nothing in flight), or after
 * SETTLE_MAX_MS under a steady load. A timer, not setImmediate: it lets the loop poll for I/O.
 */
export async function dnsSettled(dns: DnsServer): Promise<void> {
  const until = performance.now() + SETTLE_MAX_MS;
  do {
    await sleep(1);
  } while (dns.load().inFlight > 0 && performance.now() < until);
}

export async function startLater(s: LaterInput, parts: LaterParts): Promise<void> {
  const cfg = s.loaded.config;
  if (cfg.audit.enabled) {
    await s.audit.open(path.resolve(s.loaded.dir, cfg.audit.path), s.policy.current.generation);
    // Changes the refresher makes between reloads are policy changes too.
    s.policy.onRecompile = (reason, problems) =>
      s.audit.recompiled(reason, problems, s.policy.current.generation, s.reloading());
  }
  // The encrypted front ends and the proxy (with dns2 and http-proxy-3) are imported only when
  // configured: a resolver-only instance does not load them (~3 MB of RSS measured here).
  if (cfg.dns.dot || cfg.dns.doh) {
    const { EncryptedDnsServers } = await import('./dns/encrypted/encrypted-servers.ts');
    parts.encrypted = new EncryptedDnsServers(s.chain.resolver, cfg.dns, s.loaded.dir, s.log, s.dnsStats);
    await parts.encrypted.start();
  }
  if (cfg.proxy) {
    const { ProxyServer } = await import('./proxy/proxy-server.ts');
    parts.proxy = new ProxyServer(cfg.proxy, s.policy, s.chain.resolver, s.proxyStats, s.log, s.loaded.dir);
    await parts.proxy.start();
  }
  if (cfg.canaries.enabled) parts.canaries = await createCanaries(s, parts);
  const [{ registerMetrics }, { HttpServer }, search, { openDatabase }] = await Promise.all([
    import('./app-metrics.ts'),
    import('./api/http-server.ts'),
    import('./events/search.ts'),
    import('./events/sqlite-store.ts'),
  ]);
  parts.eventQueries = { ...search, openDatabase };
  await registerMetrics({
    app: { version: s.ops.version, reloadStats: s.reloadStats, lists: () => s.ops.lists() },
    policy: s.policy,
    chain: s.chain,
    dnsStats: s.dnsStats,
    proxyStats: parts.proxy ? s.proxyStats : null,
    events: s.events,
    canaries: parts.canaries ?? null,
  });
  parts.http = new HttpServer(s.ops, s.log);
  await parts.http.start();
  // The proxy never connects to banwall's own listeners (issue 12.3); their ports are known now.
  const enc = parts.encrypted?.addresses();
  parts.proxy?.protectListeners(
    [...s.dns.addresses(), ...parts.http.addresses(), ...(enc?.dot ?? []), ...(enc?.doh ?? [])].map(
      (a) => a.port,
    ),
  );
}

/** Probes every ban through banwall's own listeners (src/canary); probes skip the proxy counters. */
async function createCanaries(s: LaterInput, parts: LaterParts): Promise<Canaries> {
  const { Canaries } = await import('./canary/canaries.ts');
  s.proxyStats.probeClient = s.loaded.config.canaries.source;
  return new Canaries({
    config: s.config,
    dir: s.loaded.dir,
    policy: () => s.policy.current,
    listeners: () => {
      const enc = parts.encrypted?.addresses();
      return {
        dns: s.dns.addresses(),
        dot: enc?.dot ?? [],
        doh: enc?.doh ?? [],
        proxy: parts.proxy?.addresses() ?? [],
      };
    },
    log: s.log,
  });
}
