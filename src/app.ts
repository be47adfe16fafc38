// The composition root: config → policy → resolver chain → front ends, proxy and HTTP listener.
// Owns reload (config watch, SIGHUP, API) and graceful stop; every part it starts is stopped here.
import { setTimeout as sleep } from 'node:timers/promises';
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { LoadedConfig } from './config/config-error.ts';
import { loadConfigIsolated } from './config/load-isolated.ts';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import { PolicyLoadError, PolicyStore, type CompileReport } from './policy/store.ts';
import { createQueryResolver, type Chain } from './dns/chain.ts';
import { DnsStats } from './dns/stats/dns-stats.ts';
import { DnsServer } from './dns/server/dns-server.ts';
import type { EncryptedDnsServers } from './dns/encrypted/encrypted-servers.ts';
import type { ProxyServer } from './proxy/proxy-server.ts';
import { ProxyStats } from './proxy/proxy-stats.ts';
import type { HttpServer } from './api/http-server.ts';
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
import type { AuditLog, AuditEntry } from './audit/audit-log.ts';
import { policyChange, policyFacts, type PolicyFacts } from './audit/policy-change.ts';
import type * as EventSearch from './events/search.ts';
import type { EventFilter, EventPage, SummaryKey } from './events/search.ts';
import type { openDatabase } from './events/sqlite-store.ts';
import type { DatabaseSync } from 'node:sqlite';
import type { ServerResponse } from 'node:http';
import type { Canaries, CanaryStatus } from './canary/canaries.ts';
import { VERSION } from './version.ts';

/** Keys a reload applies; a change elsewhere needs a restart and is logged as such. */
const RELOADABLE: readonly (keyof Config)[] = ['lists', 'allow', 'groups', 'blocking'];

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
  private encrypted?: EncryptedDnsServers;
  private proxy?: ProxyServer;
  private http?: HttpServer;
  private events: AppEvents | null = null;
  /** A read-only connection for searches (WAL lets it read while the writer thread writes). */
  private eventsReader: DatabaseSync | null = null;
  /**
   * The event searches and node:sqlite, imported once DNS answers (the HTTP API is their only user):
   * what the first answer does not need is not loaded before it.
   */
  private eventQueries: EventQueries | null = null;
  private audit: AuditLog | null = null;
  /** What the last audit entry left in force: the `before` of the next change. */
  private lastFacts: PolicyFacts | null = null;
  private canaries?: Canaries;
  private watcher?: FSWatcher;
  private reloading: Promise<ReloadResult> | null = null;
  /** The one reload queued behind the one in progress (see reload): who asked, and its result. */
  private queued: QueuedReload | null = null;

  private constructor(loaded: LoadedConfig, log: Logger) {
    this.loaded = loaded;
    this.log = log;
    this.policy = new PolicyStore(log);
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
    return this.proxy?.addresses() ?? [];
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
    return this.http?.addresses() ?? [];
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
    return db === null ? { events: [] } : this.eventQueries!.searchEvents(db, filter);
  }

  summarizeEvents(by: SummaryKey, filter: EventFilter): { key: string; count: number; last: number }[] {
    const db = this.reader();
    return db === null ? [] : this.eventQueries!.summarize(db, by, filter);
  }

  attachEventStream(res: ServerResponse): boolean {
    return this.events?.live.attach(res) ?? false;
  }

  auditTail(n: number): unknown[] | null {
    return this.audit?.tail(n) ?? null;
  }

  /** The search connection, opened once the writer thread has created the file. */
  private reader(): DatabaseSync | null {
    if (this.eventsReader === null && this.events !== null && this.eventQueries !== null) {
      try {
        this.eventsReader = this.eventQueries.openDatabase(this.events.storeFile, true);
      } catch {
        return null; // not created yet: nothing to find
      }
    }
    return this.eventsReader;
  }

  /** A recompile the refresher started: a list file changed (`watch`) or a remote list refreshed. */
  private auditRecompile(reason: string, problems: readonly string[] | null): void {
    // A list file edited just before a reload: the watcher may recompile while the reload's config is
    // read (in a worker thread, 0.1–0.5 s). The reload reads the same files; its entry, with `before`
    // taken when it began, records the change once.
    if (this.reloading !== null && reason === 'list file changed') return;
    const actor = reason === 'list file changed' ? 'watch' : 'refresh';
    const before = this.lastFacts;
    if (problems !== null) {
      this.recordAudit({
        actor,
        action: 'recompile',
        result: 'rejected',
        reason,
        generation: this.policy.current.generation,
        digestBefore: before?.digest,
        digestAfter: before?.digest,
        errors: problems.slice(0, 50),
      });
      return;
    }
    const after = policyFacts(this.lists());
    // Not a change: a watcher that fired for an edit a reload already applied, a refresh that
    // fetched the same list. The log is of changes to what is enforced.
    if (before !== null && after.digest === before.digest) return;
    this.recordAudit({
      actor,
      action: 'recompile',
      result: 'applied',
      reason,
      generation: this.policy.current.generation,
      ...policyChange(before, after),
    });
  }

  private recordAudit(entry: AuditEntry): void {
    if (entry.result !== 'rejected') this.lastFacts = policyFacts(this.lists());
    try {
      this.audit?.append(entry);
    } catch (err) {
      this.log.error({ err }, 'cannot write the audit log');
    }
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
    this.dns = new DnsServer(this.chain.resolver, cfg.dns, this.dnsStats, this.log);
    await this.dns.start();
    // DNS answers from here on. What the first answer does not need is imported and started after
    // it (the audit log, metrics, the HTTP listener): /readyz is only served once all of it is up.
    if (cfg.audit.enabled) {
      const { AuditLog } = await import('./audit/audit-log.ts');
      this.audit = new AuditLog(path.resolve(this.loaded.dir, cfg.audit.path));
      // Changes the refresher makes between reloads are policy changes too.
      this.policy.onRecompile = (reason, problems) => this.auditRecompile(reason, problems);
      this.recordAudit({
        actor: 'start',
        action: 'start',
        result: 'applied',
        generation: this.policy.current.generation,
        ...policyChange(null, policyFacts(this.lists())),
      });
    }
    // The encrypted front ends and the proxy (with dns2 and http-proxy-3) are imported only when
    // configured: a resolver-only instance does not load them (~3 MB of RSS measured here).
    if (cfg.dns.dot || cfg.dns.doh) {
      const { EncryptedDnsServers } = await import('./dns/encrypted/encrypted-servers.ts');
      this.encrypted = new EncryptedDnsServers(
        this.chain.resolver,
        cfg.dns,
        this.loaded.dir,
        this.log,
        this.dnsStats,
      );
      await this.encrypted.start();
    }
    if (cfg.proxy) {
      const { ProxyServer } = await import('./proxy/proxy-server.ts');
      this.proxy = new ProxyServer(
        cfg.proxy,
        this.policy,
        this.chain.resolver,
        this.proxyStats,
        this.log,
        this.loaded.dir,
      );
      await this.proxy.start();
    }
    if (cfg.canaries.enabled) this.canaries = await this.createCanaries();
    const [{ registerMetrics }, { HttpServer }, search, { openDatabase }] = await Promise.all([
      import('./app-metrics.ts'),
      import('./api/http-server.ts'),
      import('./events/search.ts'),
      import('./events/sqlite-store.ts'),
    ]);
    this.eventQueries = { ...search, openDatabase };
    await registerMetrics({
      app: { version: this.version, reloadStats: this.reloadStats, lists: () => this.lists() },
      policy: this.policy,
      chain: this.chain,
      dnsStats: this.dnsStats,
      proxyStats: this.proxy ? this.proxyStats : null,
      events: this.events,
      canaries: this.canaries ?? null,
    });
    this.http = new HttpServer(this, this.log);
    await this.http.start();
    // The proxy never connects to banwall's own listeners (issue 12.3); their ports are known now.
    const enc = this.encrypted?.addresses();
    this.proxy?.protectListeners(
      [...this.dnsAddresses(), ...this.httpAddresses(), ...(enc?.dot ?? []), ...(enc?.doh ?? [])].map(
        (a) => a.port,
      ),
    );
    this.watchConfig();
    this.canaries?.start(); // the first round asks the listeners just bound
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

  /** Probes every ban through banwall's own listeners (src/canary); probes skip the proxy counters. */
  private async createCanaries(): Promise<Canaries> {
    const { Canaries } = await import('./canary/canaries.ts');
    this.proxyStats.probeClient = this.loaded.config.canaries.source;
    return new Canaries({
      config: () => this.loaded.config,
      dir: this.loaded.dir,
      policy: () => this.policy.current,
      listeners: () => {
        const enc = this.encrypted?.addresses();
        return {
          dns: this.dnsAddresses(),
          dot: enc?.dot ?? [],
          doh: enc?.doh ?? [],
          proxy: this.proxyAddresses(),
        };
      },
      log: this.log,
    });
  }

  /** The canaries' failing probes for /api/status; null when `canaries.enabled` is false. */
  canaryStatus(): CanaryStatus | null {
    return this.canaries?.status() ?? null;
  }

  /** Re-reads the config file and swaps in a new policy; on any error the old policy keeps serving. */
  reload(reason: string, actor = actorOf(reason)): Promise<ReloadResult> {
    // A file query log is reopened too, so that SIGHUP after logrotate moves it starts a new file.
    this.events?.file?.reopen();
    if (this.reloading) {
      // Coalesce: every request made while a reload runs shares one more reload after it. Not the
      // one in progress: it may have read the config before this caller's change, and the caller
      // (SIGHUP after an edit, POST /api/reload) is owed a result that includes it. That reload is
      // logged and audited under every requester's reason, so each can find its own line.
      let queued = this.queued;
      if (queued === null) {
        const reasons: string[] = [];
        const again = () => {
          this.queued = null;
          return this.reload(reasons.join(' + '), entry.actor);
        };
        const entry: QueuedReload = { reasons, actor, result: this.reloading.then(again, again) };
        queued = this.queued = entry;
      }
      if (!queued.reasons.includes(reason)) queued.reasons.push(reason);
      if (actor !== actorOf(reason)) queued.actor = actor; // a named person beats 'signal' or 'watch'
      return queued.result;
    }
    this.reloading = this.doReload(reason, actor).finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  private async doReload(reason: string, actor: string): Promise<ReloadResult> {
    const started = performance.now();
    const before = policyFacts(this.lists());
    try {
      const next = await loadConfigIsolated(this.loaded.file);
      const changed = (Object.keys(next.config) as (keyof Config)[]).filter(
        (k) => !RELOADABLE.includes(k) && !isDeepStrictEqual(next.config[k], this.loaded.config[k]),
      );
      if (changed.length > 0) {
        this.log.warn({ keys: changed }, 'config keys changed that apply only after a restart');
      }
      const report = await this.policy.load(next);
      this.loaded = { ...next, config: { ...this.loaded.config, ...pick(next.config, RELOADABLE) } };
      this.reloadStats.record(true);
      this.canaries?.kick(); // a reload is when a ban is most likely to break
      const ms = Math.round(performance.now() - started);
      this.log.info({ reason, generation: this.policy.current.generation, ms }, 'policy reloaded');
      const after = policyFacts(this.lists());
      this.recordAudit({
        actor,
        action: 'reload',
        result: after.digest === before.digest ? 'unchanged' : 'applied',
        reason,
        generation: this.policy.current.generation,
        ...policyChange(before, after),
      });
      return { ok: true, generation: this.policy.current.generation, errors: [], lists: listCounts(report) };
    } catch (err) {
      this.reloadStats.record(false);
      const errors = (err as { problems?: string[] }).problems ?? [(err as Error).message];
      this.log.error({ reason, errors }, 'reload rejected; the previous policy keeps serving');
      this.recordAudit({
        actor,
        action: 'reload',
        result: 'rejected',
        reason,
        generation: this.policy.current?.generation ?? 0,
        digestBefore: before.digest,
        digestAfter: before.digest,
        errors: errors.slice(0, 50),
      });
      const report = err instanceof PolicyLoadError ? err.report : null;
      return {
        ok: false,
        generation: this.policy.current?.generation ?? 0,
        errors,
        ...(report ? { lists: listCounts(report) } : {}),
      };
    }
  }

  private watchConfig(): void {
    // Watch the directory: editors and ConfigMap updates replace the file rather than write to it.
    const base = path.basename(this.loaded.file);
    let timer: NodeJS.Timeout | undefined;
    try {
      this.watcher = watch(this.loaded.dir, (_event, name) => {
        if (name !== null && name !== base && !name.startsWith('..data')) return;
        clearTimeout(timer);
        timer = setTimeout(() => void this.reload('config file changed'), 200);
      });
      this.watcher.on('error', (err) => this.log.warn({ err }, 'config watch failed; SIGHUP still reloads'));
      this.watcher.unref();
    } catch (err) {
      this.log.warn({ err }, 'cannot watch the config file; SIGHUP still reloads');
    }
  }

  /** Stops accepting everywhere, lets in-flight work finish within `graceMs`, then closes. */
  async stop(graceMs: number): Promise<void> {
    const deadline = performance.now() + graceMs;
    this.watcher?.close();
    await this.canaries?.stop();
    await Promise.allSettled([
      this.dns?.stop(graceMs),
      this.encrypted?.stop(graceMs),
      this.proxy?.stop(graceMs),
    ]);
    // The sinks commit what they hold within what is left of the grace (at least 250 ms): the
    // store's writer runs at SCHED_IDLE, and on a saturated machine it may get no CPU until then.
    const closing = Promise.allSettled([this.http?.stop(), this.chain?.close(), this.events?.close()]);
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

/** What the API's event searches run on (src/events/search.ts, sqlite-store.ts). */
type EventQueries = typeof EventSearch & { readonly openDatabase: typeof openDatabase };

/** A reload asked for while another runs: every asker's reason, the actor audited, the result. */
interface QueuedReload {
  readonly reasons: string[];
  actor: string;
  readonly result: Promise<ReloadResult>;
}

/** Who a reload reason stands for in the audit log. */
function actorOf(reason: string): string {
  if (reason === 'SIGHUP') return 'signal';
  if (reason === 'config file changed') return 'watch';
  return reason;
}

/** Per list: rules loaded and bad lines skipped, for the start-up log and the reload answer. */
function listCounts(report: CompileReport): { name: string; entries: number; badLines: number }[] {
  return report.lists.map((l) => ({ name: l.name, entries: l.entries, badLines: l.badCount }));
}

function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = obj[k];
  return out;
}
