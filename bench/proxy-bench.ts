// Proxy part of the benchmark: wrk through each proxy with absolute-form requests, allowed (to the
// local 1 KiB origin) and blocked (a name on the 100 k list), and the origin direct as the ceiling.
import { PROXY_BLOCKED_HOST } from './lib/gen.ts';
import { cpuSeconds } from './lib/proc-stat.ts';
import { stop } from './lib/procs.ts';
import { wrk } from './lib/wrk.ts';
import type { Metric, Results } from './lib/results.ts';
import type { ProxyPeer, RunningServer } from './servers/types.ts';

export interface ProxyBenchOptions {
  seconds: number;
  workDir: string;
  originPort: number;
  log: (line: string) => void;
}

export function proxyMetrics(): Metric[] {
  return [
    {
      key: 'proxy.allowed.rps',
      label: 'allowed, 1 KiB from the origin',
      unit: 'req/s',
      better: 'higher',
      digits: 0,
    },
    {
      key: 'proxy.allowed.bad',
      label: 'allowed: non-2xx or socket errors',
      unit: 'requests',
      better: 'info',
      digits: 0,
    },
    { key: 'proxy.allowed.cpu', label: 'allowed: proxy CPU', unit: '% of a core', better: 'info', digits: 0 },
    {
      key: 'proxy.allowed.us',
      label: 'allowed: proxy CPU per request',
      unit: 'µs',
      better: 'lower',
      digits: 0,
    },
    { key: 'proxy.blocked.rps', label: 'blocked (403)', unit: 'req/s', better: 'higher', digits: 0 },
    {
      key: 'proxy.blocked.bad',
      label: 'blocked: answers not 4xx, or socket errors',
      unit: 'requests',
      better: 'info',
      digits: 0,
    },
    { key: 'proxy.blocked.cpu', label: 'blocked: proxy CPU', unit: '% of a core', better: 'info', digits: 0 },
    {
      key: 'proxy.blocked.us',
      label: 'blocked: proxy CPU per request',
      unit: 'µs',
      better: 'lower',
      digits: 0,
    },
  ];
}

export async function originRound(res: Results, opts: ProxyBenchOptions): Promise<void> {
  const r = await wrk(opts.workDir, opts.originPort, null, opts.seconds);
  res.add('proxy.allowed.rps', 'origin direct', r.rps);
  res.add('proxy.allowed.bad', 'origin direct', r.non2xx + r.errors);
  opts.log(`  origin direct: ${r.rps.toFixed(0)} req/s`);
}

export async function proxyRound(
  peer: ProxyPeer,
  upstreamPort: number,
  res: Results,
  opts: ProxyBenchOptions,
): Promise<void> {
  let s: RunningServer | undefined;
  try {
    s = await peer.start(upstreamPort);
    const allowedUrl = `http://127.0.0.1:${opts.originPort}/1k`;
    const blockedUrl = `http://${PROXY_BLOCKED_HOST}/download/setup.exe`;
    for (const [kind, url] of [
      ['allowed', allowedUrl],
      ['blocked', blockedUrl],
    ] as const) {
      // An unmeasured second first, the same for every peer: banwall's JIT tiers up and the garbage
      // of loading the list is collected before the clock starts (a cold first run cost it up to
      // 5× the CPU per request of a warm one here), and every peer has its keep-alive pools filled.
      await wrk(opts.workDir, s.port, url, 1);
      const cpu0 = cpuSeconds(s.proc.pid);
      const t0 = performance.now();
      const r = await wrk(opts.workDir, s.port, url, opts.seconds);
      const wall = (performance.now() - t0) / 1000;
      res.add(`proxy.${kind}.rps`, peer.name, r.rps);
      // Allowed: every answer must be 2xx. Blocked: every answer must be non-2xx (403).
      res.add(
        `proxy.${kind}.bad`,
        peer.name,
        (kind === 'allowed' ? r.non2xx : r.requests - r.non2xx) + r.errors,
      );
      const cpu = cpuSeconds(s.proc.pid) - cpu0;
      res.add(`proxy.${kind}.cpu`, peer.name, (cpu / wall) * 100);
      // The steadier figure on a shared machine: throughput moves with what else runs, the CPU each
      // request costs much less.
      res.add(`proxy.${kind}.us`, peer.name, (cpu / Math.max(1, r.requests)) * 1e6);
    }
    const q = (k: string) => (res.all(k, peer.name).at(-1) ?? NaN).toFixed(0);
    opts.log(
      `  ${peer.name}: allowed ${q('proxy.allowed.rps')} req/s, blocked ${q('proxy.blocked.rps')} req/s`,
    );
  } catch (err) {
    const msg = `${peer.name} (proxy): ${(err as Error).message}`;
    res.errors.push(msg);
    opts.log(`  FAILED ${msg}`);
  } finally {
    if (s) await stop(s.proc);
  }
}
