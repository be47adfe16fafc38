// DNS part of the benchmark: per server, start with each list size (time to first answer, RSS),
// then, with the 1 M-name list loaded, the throughput scenarios and a fixed-rate latency run.
import { setTimeout as sleep } from 'node:timers/promises';
import { blockedName, LIST_SIZES, PROBE_NAME, type DataFiles } from './lib/gen.ts';
import { dnsperf } from './lib/dnsperf.ts';
import { cpuSeconds, rssBytes } from './lib/proc-stat.ts';
import { stop } from './lib/procs.ts';
import { waitForDnsAnswer } from './lib/probe.ts';
import type { Metric, Results } from './lib/results.ts';
import type { DnsPeer, RunningServer } from './servers/types.ts';

export interface DnsBenchOptions {
  seconds: number;
  latencySeconds: number;
  latencyRate: number;
  log: (line: string) => void;
}

export const THROUGHPUT = ['hits', 'blocked', 'mix', 'miss'] as const;
type Scenario = (typeof THROUGHPUT)[number];

const LABEL: Record<Scenario, string> = {
  hits: 'cache hits',
  blocked: 'blocked names',
  mix: 'mix 90 % hits / 10 % blocked',
  miss: 'misses (upstream)',
};

export function dnsMetrics(): Metric[] {
  const out: Metric[] = [];
  for (const s of THROUGHPUT) {
    out.push({ key: `${s}.qps`, label: LABEL[s], unit: 'q/s', better: 'higher', digits: 0 });
    out.push({ key: `${s}.lost`, label: `${LABEL[s]}: lost`, unit: 'queries', better: 'info', digits: 0 });
    out.push({
      key: `${s}.cpu`,
      label: `${LABEL[s]}: server CPU`,
      unit: '% of a core',
      better: 'info',
      digits: 0,
    });
    // CPU time per answered query: less sensitive than q/s to what else the shared machine runs.
    out.push({
      key: `${s}.us`,
      label: `${LABEL[s]}: server CPU per query`,
      unit: 'µs',
      better: 'lower',
      digits: 1,
    });
  }
  out.push({ key: 'lat.p50', label: 'hits at fixed rate: p50', unit: 'ms', better: 'lower', digits: 3 });
  out.push({ key: 'lat.p99', label: 'hits at fixed rate: p99', unit: 'ms', better: 'lower', digits: 3 });
  for (const n of LIST_SIZES) {
    const size = n === 0 ? 'no list' : `${n / 1000} k list`;
    out.push({
      key: `ready.${n}`,
      label: `${size}: start to first answer`,
      unit: 's',
      better: 'lower',
      digits: 2,
    });
    out.push({ key: `rss.${n}`, label: `${size}: RSS when ready`, unit: 'MB', better: 'lower', digits: 0 });
  }
  out.push({
    key: 'rss.after',
    label: '1 M list: RSS after all scenarios',
    unit: 'MB',
    better: 'lower',
    digits: 0,
  });
  return out;
}

/** Starts `peer`; ready means it answers a blocked name NXDOMAIN (the list is loaded), or the probe. */
async function startListed(peer: DnsPeer, size: number, upstreamPort: number): Promise<RunningServer> {
  const t0 = performance.now();
  const s = await peer.start(size, upstreamPort);
  if (size === 0) return s;
  try {
    const alive = () => s.proc.proc.exitCode === null && s.proc.proc.signalCode === null;
    const ms = await waitForDnsAnswer(s.port, blockedName(size - 1), t0, 120_000, alive, 3);
    return { ...s, readyMs: Math.max(s.readyMs, ms) };
  } catch (err) {
    await stop(s.proc);
    throw err;
  }
}

async function measure(
  s: RunningServer,
  file: string,
  seconds: number,
  scenario: Scenario,
  res: Results,
): Promise<void> {
  const cpu0 = cpuSeconds(s.proc.pid);
  const t0 = performance.now();
  const r = await dnsperf(s.port, file, seconds);
  const wall = (performance.now() - t0) / 1000;
  res.add(`${scenario}.qps`, s.name, r.qps);
  res.add(`${scenario}.lost`, s.name, r.lost);
  const cpu = cpuSeconds(s.proc.pid) - cpu0;
  res.add(`${scenario}.cpu`, s.name, (cpu / wall) * 100);
  res.add(`${scenario}.us`, s.name, (cpu * 1e6) / Math.max(1, r.sent - r.lost));
}

/** One round for one server. Errors are recorded, not thrown: the other servers still run. */
export async function dnsRound(
  peer: DnsPeer,
  data: DataFiles,
  upstreamPort: number,
  res: Results,
  opts: DnsBenchOptions,
): Promise<void> {
  let s: RunningServer | undefined;
  try {
    const sizes = peer.largestListOnly === true ? LIST_SIZES.slice(-1) : LIST_SIZES;
    for (const size of sizes) {
      s = await startListed(peer, size, upstreamPort);
      await sleep(300);
      if (peer.loadsLists !== false) {
        res.add(`ready.${size}`, peer.name, s.readyMs / 1000);
        res.add(`rss.${size}`, peer.name, rssBytes(s.proc.pid) / 1e6);
      }
      opts.log(`  ${peer.name}: ${size} names ready in ${(s.readyMs / 1000).toFixed(2)} s`);
      if (size !== LIST_SIZES[LIST_SIZES.length - 1]) {
        await stop(s.proc);
        s = undefined;
      }
    }
    const srv = s!;
    // Warm the cache (every hit name once), then 2 s of the mix, unmeasured: a resolver runs for
    // days, and the first seconds after start (JIT, the collection of the list's parse garbage)
    // are not its steady state. Every server gets the same warm-up.
    await dnsperf(srv.port, data.queries.hits, 10, { passes: 1 });
    await dnsperf(srv.port, data.queries.mix, 2);
    await waitForDnsAnswer(srv.port, PROBE_NAME, performance.now(), 5000, () => true);
    await measure(srv, data.queries.hits, opts.seconds, 'hits', res);
    const lat = await dnsperf(srv.port, data.queries.hits, opts.latencySeconds, { rate: opts.latencyRate });
    if (lat.p50 !== undefined) res.add('lat.p50', peer.name, lat.p50 * 1000);
    if (lat.p99 !== undefined) res.add('lat.p99', peer.name, lat.p99 * 1000);
    await measure(srv, data.queries.blocked, opts.seconds, 'blocked', res);
    await measure(srv, data.queries.mix, opts.seconds, 'mix', res);
    // Last: it fills the cache with names nothing else asks.
    await measure(srv, data.queries.miss, opts.seconds, 'miss', res);
    res.add('rss.after', peer.name, rssBytes(srv.proc.pid) / 1e6);
    const q = (k: string) => (res.all(k, peer.name).at(-1) ?? NaN).toFixed(0);
    opts.log(
      `  ${peer.name}: hits ${q('hits.qps')} q/s, blocked ${q('blocked.qps')}, mix ${q('mix.qps')}, miss ${q('miss.qps')}, p99 ${lat.p99 === undefined ? '—' : (lat.p99 * 1000).toFixed(3)} ms`,
    );
  } catch (err) {
    const msg = `${peer.name}: ${(err as Error).message}`;
    res.errors.push(msg);
    opts.log(`  FAILED ${msg}`);
  } finally {
    if (s) await stop(s.proc);
  }
}
