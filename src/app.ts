// The composition root: config → policy → resolver chain → front ends, proxy and HTTP listener.
// A start runs in two phases: the policy, the resolver chain and the DNS listener first (the modules
// this file imports statically are what the first answer needs), then the rest of the app, imported
// once DNS answers (app-after-dns.ts). Reload lives in app-reload.ts, the audit trail in
// app-audit.ts, the event pipeline in app-events.ts, the metrics in app-metrics.ts. Every part a
// start opens is stopped here.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadedConfig } from './config/config-error.ts';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import { PolicyStore } from './policy/store.ts';
import { createQueryResolver, type Chain } from './dns/chain.ts';
import { DnsStats } from './dns/stats/dns-stats.ts';
import { DnsServer } from './dns/server/dns-server.ts';
import { ProxyStats } from './proxy/proxy-stats.ts';
import type { AdminOps, ReloadResult, TopBlocked } from './api/admin-ops.ts';
import { RESULTS, type Result } from './dns/resolver.ts';
import type { UpstreamHealth } from './dns/upstream/upstream-resolver.ts';
import type { PolicySnapshot } from './policy/snapshot.ts';
import type { ListStatus } from './policy/refresher.ts';
import { ReloadStats } from './metrics/reload-stats.ts';
import type { ExplainInput } from './explain/input.ts';
import type { LiveJudgement } from './explain/live.ts';
import type { LiveChain } from './explain/live-chain.ts';
import { createEvents, type AppEvents } from './app-events.ts';
import { AppAudit } from './app-audit.ts';
import { listCounts, Reloads } from './app-reload.ts';
import type { LaterParts } from './app-after-dns.ts';
import type { EventFilter, EventPage, SummaryKey } from './events/search.ts';
import type { DatabaseSync } from 'node:sqlite';
import type { ServerResponse } from 'node:http';
import type { CanaryStatus } from './canary/canaries.ts';
import { VERSION } from './version.ts';

/**
 * The running application. To the HTTP listener it is AdminOps (answers, never parts); the parts
 * themselves stay private to this composition root.
 */
export class Banwall implements AdminOps {
  readonly version = VERSION;
  readonly startedAt = Date.now();
  readonly policy: PolicyStore;
  private readonly dnsStats = new DnsStats();
  // Proxy blocks go into the resolver's top-k, so /api/top shows what DNS and the proxy refused, and
  // into the event pipeline beside the resolver's (set when the pipeline is built).
  private proxyStats = new ProxyStats(this.dnsStats);
  private readonly reloadStats = new ReloadStats();
  private chain!: Chain;
  /** explainLive's view of the chain (src/explain/live-chain.ts). */
  private live: LiveChain | null = null;
  private loaded: LoadedConfig;
  private readonly log: Logger;
  private dns?: DnsServer;
  /** What the second phase of the start opened (app-after-dns.ts), as it opened it. */
  private readonly later: LaterParts = {};
  private events: AppEvents | null = null;
  /** A read-only connection for searches (WAL lets it read while the writer thread writes). */
  private eventsReader: DatabaseSync | null = null;
  private readonly audit: AppAudit;
  private readonly reloads: Reloads;

  private constructor(loaded: LoadedConfig, log: Logger) {
    this.loaded = loaded;
    this.log = log;
    this.policy = new PolicyStore(log);
    this.audit = new AppAudit(() => this.lists(), log);
    this.reloads = new Reloads({
      log,
      policy: this.policy,
      reloadStats: this.reloadStats,
      audit: this.audit,
      loaded: () => this.loaded,
      adopt: (next) => (this.loaded = next),
      // A file query log is reopened too, so that SIGHUP after logrotate moves it starts a new file.
      requested: () => this.events?.file?.reopen(),
      applied: () => this.later.canaries?.kick(), // a reload is when a ban is most likely to break
    });
  }

  /** Loads the policy and binds every listener; rejects (having closed what it opened) on failure. */
  static async start(loaded: LoadedConfig, log: Logger): Promise<Banwall> {
    const app = new Banwall(loaded, log);
    try {
      await app.open();
    } catch (err) {
      await app.stop(0);
      throw err;
    }
    return app;
  }

  config(): Config {
    return this.loaded.config;
  }

  proxyAddresses(): { host: string; port: number }[] {
    return this.later.proxy?.addresses() ?? [];
  }

  async explainLive(input: ExplainInput): Promise<LiveJudgement> {
    // Imported and built on first use (dns2 with it: ~8 MB of RSS an instance that is never asked
    // to explain does not need): the chain's own links below the policy, minus the cache.
    const [{ followLive }, { liveChain }] = await Promise.all([
      import('./explain/live.ts'),
      import('./explain/live-chain.ts'),
    ]);
    this.live ??= liveChain(this.config().dns, this.chain.ech ?? this.chain.upstream);
    return followLive(this.live, this.policy.current, input);
  }

  dnsUdpIo(): 'batched' | 'dgram' | null {
    return this.dns?.udpIo ?? null;
  }

  dnsAddresses(): { protocol: 'udp' | 'tcp'; host: string; port: number }[] {
    return this.dns?.addresses() ?? [];
  }

  httpAddresses(): { host: string; port: number }[] {
    return this.later.http?.addresses() ?? [];
  }

  /** Each list of the snapshot in force with its live refresh state (the refresher's, not the snapshot's). */
  lists(): readonly ListStatus[] {
    const snapshot = this.policy.current as PolicySnapshot | undefined;
    return snapshot?.lists().map((l) => ({ ...l, ...this.policy.refresher.health(l.name) })) ?? [];
  }

  upstreams(): readonly UpstreamHealth[] {
    return this.chain?.upstream.health() ?? [];
  }

  cacheSize(): { entries: number; bytes: number } {
    return this.chain.cache.size;
  }

  queryTotals(): Record<Result, number> {
    const out = {} as Record<Result, number>;
    for (const r of RESULTS) out[r] = this.dnsStats.total(r);
    return out;
  }

  get topWindowMinutes(): number {
    return this.dnsStats.topBlockedNames.minutes;
  }

  topBlocked(n: number, minutes: number): TopBlocked {
    const now = performance.now();
    return {
      windowMinutes: minutes,
      names: this.dnsStats.topBlockedNames.top(n, now, minutes),
      clients: this.dnsStats.topBlockedClients.top(n, now, minutes),
    };
  }

  flushCache(): { entries: number; bytes: number } {
    const before = this.chain.cache.size;
    this.chain.cache.flush();
    return before;
  }

  eventStoreEnabled(): boolean {
    return this.events?.store !== null && this.events !== null;
  }

  searchEvents(filter: EventFilter): EventPage {
    const db = this.reader();
    return db === null ? { events: [] } : this.later.eventQueries!.searchEvents(db, filter);
  }

  summarizeEvents(by: SummaryKey, filter: EventFilter): { key: string; count: number; last: number }[] {
    const db = this.reader();
    return db === null ? [] : this.later.eventQueries!.summarize(db, by, filter);
  }

  attachEventStream(res: ServerResponse): boolean {
    return this.events?.live.attach(res) ?? false;
  }

  auditTail(n: number): unknown[] | null {
    return this.audit.tail(n);
  }

  /** The canaries' failing probes for /api/status; null when `canaries.enabled` is false. */
  canaryStatus(): CanaryStatus | null {
    return this.later.canaries?.status() ?? null;
  }

  /** Re-reads the config file and swaps in a new policy; on any error the old policy keeps serving. */
  reload(reason: string, actor?: string): Promise<ReloadResult> {
    return this.reloads.reload(reason, actor);
  }

  /** The search connection, opened once the writer thread has created the file. */
  private reader(): DatabaseSync | null {
    const queries = this.later.eventQueries;
    if (this.eventsReader === null && this.events !== null && queries !== undefined) {
      try {
        this.eventsReader = queries.openDatabase(this.events.storeFile, true);
      } catch {
        return null; // not created yet: nothing to find
      }
    }
    return this.eventsReader;
  }

  private async open(): Promise<void> {
    const cfg = this.loaded.config;
    const report = await this.policy.load(this.loaded);
    this.log.info({ lists: listCounts(report) }, 'policy loaded');
    this.events = await createEvents(cfg, this.loaded.dir, this.log);
    this.proxyStats = new ProxyStats(this.dnsStats, this.events.pipeline);
    this.chain = createQueryResolver({
      config: cfg,
      policy: this.policy,
      stats: this.dnsStats,
      queryLog: this.events.ring,
      log: this.log,
    });
    // Readiness needs an upstream that answered a probe: start probing before any listener opens.
    this.chain.upstream.startHealthProbe();
    const dns = new DnsServer(this.chain.resolver, cfg.dns, this.dnsStats, this.log);
    this.dns = dns;
    await dns.start();

    // DNS answers from here on. The rest of the app is imported once the queries that queued
    // meanwhile are answered: /readyz is served only once all of it is up.
    const { dnsSettled, startLater } = await import('./app-after-dns.ts');
    await dnsSettled(dns);

    await startLater(
      {
        ops: this,
        loaded: this.loaded,
        log: this.log,
        policy: this.policy,
        chain: this.chain,
        dns,
        dnsStats: this.dnsStats,
        proxyStats: this.proxyStats,
        reloadStats: this.reloadStats,
        events: this.events,
        audit: this.audit,
        config: () => this.loaded.config,
        reloading: () => this.reloads.running,
      },
      this.later,
    );
    this.reloads.watchConfig();
    this.later.canaries?.start(); // the first round asks the listeners just bound
    this.log.info(
      {
        version: VERSION,
        dns: this.dnsAddresses(),
        dnsUdpIo: this.dnsUdpIo(), // dns.batchedIo: recvmmsg/sendmmsg addon, or node:dgram
        proxy: this.proxyAddresses(),
        http: this.httpAddresses(),
      },
      'banwall started',
    );
  }

  /** Stops accepting everywhere, lets in-flight work finish within `graceMs`, then closes. */
  async stop(graceMs: number): Promise<void> {
    const deadline = performance.now() + graceMs;
    const { encrypted, proxy, canaries, http } = this.later;
    this.reloads.close();
    await canaries?.stop();
    await Promise.allSettled([this.dns?.stop(graceMs), encrypted?.stop(graceMs), proxy?.stop(graceMs)]);
    // The sinks commit what they hold within what is left of the grace (at least 250 ms): the
    // store's writer runs at SCHED_IDLE, and on a saturated machine it may get no CPU until then.
    const closing = Promise.allSettled([http?.stop(), this.chain?.close(), this.events?.close()]);
    const left = Math.max(250, deadline - performance.now());
    const late = await Promise.race([closing.then(() => false), sleep(left, true, { ref: false })]);
    if (late)
      this.log.warn(
        { graceMs },
        'event sinks not closed within the grace period; their last events are lost',
      );
    this.eventsReader?.close();
    this.policy.close();
  }
}
