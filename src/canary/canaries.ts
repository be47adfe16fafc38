// The canary runner: every `canaries.interval` (and right after start and after each reload) every
// probe of the plan goes through each configured listener, and the outcome per app, category and
// layer is kept for the metrics and /api/status.
//
// Before a probe is sent, the compiled policy is asked (the same matchName/matchUrl the listeners
// use). When it says "allowed", the ban is already known to be broken: the probe is reported failed
// with the allow rule that wins and is NOT sent, since sending it would make banwall look the name up
// upstream. Only probes the policy blocks are sent, to prove the running path (front end, chain,
// proxy) enforces what the policy says. ProbeFence (src/dns/probes/probe-links.ts) still stops any probe that a
// reload unblocked in between: a probe never leaves the host.
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { PolicySnapshot, BlockMatch } from '../policy/snapshot.ts';
import type { CanaryLayer } from './config.ts';
import { planProbes, type Probe, type ProbePlan } from './probe-plan.ts';
import { resolveEndpoints, type BoundListeners, type Endpoints } from './endpoints.ts';
import { checkBlockReply, parseReply, queryDoh, queryDot, queryTcp, queryUdp } from './dns-probe.ts';
import { probeConnect, probeHttp } from './proxy-probe.ts';

export interface CanaryDeps {
  /** The config in force (lists and groups change with reloads). */
  config(): Config;
  readonly dir: string;
  policy(): PolicySnapshot;
  listeners(): BoundListeners;
  readonly log: Logger;
}

/** One series of banwall_canary_ok: every probe of an app/category over one layer. */
export interface SeriesState {
  readonly app: string;
  readonly category: string;
  readonly layer: CanaryLayer;
  ok: boolean;
  /** Epoch ms of the last round in which every probe of the series held; 0 if never. */
  lastSuccess: number;
  /** Epoch ms since when it fails; 0 while it holds. */
  failingSince: number;
  failures: { target: string; list: string; reason: string }[];
}

export interface CanaryStatus {
  readonly intervalSeconds: number;
  readonly source: string;
  readonly lastRound: string | null;
  readonly probes: number;
  readonly series: number;
  readonly failing: readonly {
    app: string;
    category: string;
    layer: CanaryLayer;
    target: string;
    list: string;
    reason: string;
    since: string;
  }[];
  readonly skipped: readonly { list?: string; layer?: CanaryLayer; reason: string }[];
}

const DNS_LAYERS = ['udp', 'tcp', 'dot', 'doh'] as const;
/** Probes in flight at once: a round of a hundred probes takes a few hundred ms, never a burst. */
const CONCURRENCY = 4;

export class Canaries {
  readonly series = new Map<string, SeriesState>();
  private readonly deps: CanaryDeps;
  private readonly cfg: Config['canaries'];
  private plan: (ProbePlan & { generation: number }) | null = null;
  private endpoints: Endpoints | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private lastRound = 0;

  constructor(deps: CanaryDeps) {
    this.deps = deps;
    this.cfg = deps.config().canaries;
  }

  start(): void {
    this.kick();
    this.timer = setInterval(() => this.kick(), this.cfg.interval);
    this.timer.unref();
  }

  /** Runs a round now, or right after the one in progress (a reload during a round is not missed). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((err: unknown) => this.deps.log.error({ err }, 'canary round failed'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Waits for the probes in flight (at most twice `timeout`), not for the rest of the round. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async round(): Promise<void> {
    const snap = this.deps.policy();
    const cfg = this.deps.config();
    if (this.plan?.generation !== snap.generation) {
      const plan = await planProbes(cfg, this.deps.dir, snap.groupOf(this.cfg.source));
      this.plan = { ...plan, generation: snap.generation };
    }
    const endpoints = await resolveEndpoints(cfg, this.deps.dir, this.deps.listeners(), this.cfg.layers);
    this.endpoints = endpoints;
    const results = new Map<string, { state: Omit<SeriesState, 'ok' | 'lastSuccess' | 'failingSince'> }>();
    const tasks: (() => Promise<void>)[] = [];
    for (const probe of this.plan.probes) {
      for (const layer of this.layersOf(probe, endpoints)) {
        const key = `${probe.app}|${probe.category}|${layer}`;
        let r = results.get(key);
        if (r === undefined) {
          r = { state: { app: probe.app, category: probe.category, layer, failures: [] } };
          results.set(key, r);
        }
        const failures = r.state.failures;
        tasks.push(async () => {
          const reason = await this.check(probe, layer, endpoints);
          if (reason !== null) failures.push({ target: probe.target, list: probe.origin, reason });
        });
      }
    }
    for (let i = 0; i < tasks.length; i += CONCURRENCY) {
      // On shutdown the listeners are closing: stop after the batch in flight, record nothing.
      if (this.stopped) return;
      await Promise.all(tasks.slice(i, i + CONCURRENCY).map((t) => t()));
    }
    if (!this.stopped) this.record(results);
  }

  private layersOf(probe: Probe, e: Endpoints): CanaryLayer[] {
    if (probe.kind === 'url') return e.proxy && this.cfg.layers.includes('http') ? ['http'] : [];
    const out: CanaryLayer[] = DNS_LAYERS.filter((l) => e[l] !== undefined);
    if (e.proxy) for (const l of ['http', 'connect'] as const) if (this.cfg.layers.includes(l)) out.push(l);
    return out;
  }

  private record(
    results: Map<string, { state: Omit<SeriesState, 'ok' | 'lastSuccess' | 'failingSince'> }>,
  ): void {
    const now = Date.now();
    this.lastRound = now;
    for (const key of this.series.keys()) if (!results.has(key)) this.series.delete(key); // list removed
    for (const [key, { state }] of results) {
      const prev = this.series.get(key);
      const ok = state.failures.length === 0;
      const next: SeriesState = {
        ...state,
        ok,
        lastSuccess: ok ? now : (prev?.lastSuccess ?? 0),
        failingSince: ok ? 0 : prev && !prev.ok ? prev.failingSince : now,
      };
      this.series.set(key, next);
      // Logged on the change only: a broken ban is one warning, not one a minute.
      if (!ok && (prev === undefined || prev.ok)) {
        this.deps.log.warn(
          { app: next.app, category: next.category, layer: next.layer, failures: next.failures },
          'canary: a ban is not enforced',
        );
      } else if (ok && prev !== undefined && !prev.ok) {
        this.deps.log.info(
          { app: next.app, category: next.category, layer: next.layer },
          'canary: the ban holds again',
        );
      }
    }
  }

  /** null when the probe was refused the right way; else why not. */
  private async check(probe: Probe, layer: CanaryLayer, e: Endpoints): Promise<string | null> {
    const snap = this.deps.policy();
    const source = this.cfg.source;
    let match: BlockMatch | null;
    let url: URL | null = null;
    if (probe.kind === 'url' || layer === 'http') {
      url = new URL(probe.kind === 'url' ? probe.target : `http://${probe.target}/`);
      match = snap.matchUrl({ host: url.hostname, path: url.pathname, query: url.search.slice(1) }, source);
    } else {
      match = snap.matchName(probe.target, source);
    }
    if (match === null)
      return `not sent: the policy allows ${url?.href ?? probe.target}${allowedBy(snap, url?.hostname ?? probe.target, source)}`;
    // A timeout or a connection error is retried once before it counts: under load a lost UDP packet
    // is not a broken ban. A wrong answer counts at once.
    let reason = await this.send(probe, layer, e, match, url);
    if (reason !== null && reason.startsWith('network: '))
      reason = await this.send(probe, layer, e, match, url);
    return reason;
  }

  private async send(
    probe: Probe,
    layer: CanaryLayer,
    e: Endpoints,
    match: BlockMatch,
    url: URL | null,
  ): Promise<string | null> {
    const { source, timeout } = this.cfg;
    try {
      switch (layer) {
        case 'http':
          return await probeHttp(e.proxy!, source, url!.href, timeout);
        case 'connect':
          return await probeConnect(e.proxy!, source, probe.target, timeout);
        default: {
          const wire =
            layer === 'udp'
              ? await queryUdp(e.udp!, source, probe.target, timeout)
              : layer === 'tcp'
                ? await queryTcp(e.tcp!, source, probe.target, timeout)
                : layer === 'dot'
                  ? await queryDot(e.dot!, source, probe.target, timeout)
                  : await queryDoh(e.doh!, source, probe.target, timeout);
          return checkBlockReply(parseReply(wire), match.rule.action.kind);
        }
      }
    } catch (err) {
      return `network: ${(err as Error).message}`;
    }
  }

  status(): CanaryStatus {
    const failing = [...this.series.values()]
      .filter((s) => !s.ok)
      .flatMap((s) =>
        s.failures.map((f) => ({
          app: s.app,
          category: s.category,
          layer: s.layer,
          ...f,
          since: new Date(s.failingSince).toISOString(),
        })),
      );
    const skipped: { list?: string; layer?: CanaryLayer; reason: string }[] = [...(this.plan?.skipped ?? [])];
    for (const [layer, reason] of this.endpoints?.unreachable ?? []) skipped.push({ layer, reason });
    return {
      intervalSeconds: this.cfg.interval / 1000,
      source: this.cfg.source,
      lastRound: this.lastRound > 0 ? new Date(this.lastRound).toISOString() : null,
      probes: this.plan?.probes.length ?? 0,
      series: this.series.size,
      failing,
      skipped,
    };
  }
}

/** `: allowed by "@@name" (list, file:line)` when an allow rule decides; '' otherwise. */
function allowedBy(snap: PolicySnapshot, host: string, source: string): string {
  const rule = snap.explain(host, source).allowRules[0];
  return rule
    ? `: allowed by "${rule.rule}" (${rule.list}, ${rule.source}:${rule.line})`
    : ': no rule blocks it';
}
