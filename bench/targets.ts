// Issue 17's targets (and issue 14's event-store cost), each beside its figure from this run: the
// start, memory and reload figures come from policy-start.ts and cache-memory.ts run as their own
// processes (each needs a fresh process: a start, an RSS, a heap measured from a clean slate), the
// rest from the DNS, proxy and event tables of the same run. `npm run bench` opens its report with it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './lib/procs.ts';
import type { Results } from './lib/results.ts';
import type { EventsBenchResult } from './events-bench.ts';

const BENCH = path.dirname(fileURLToPath(import.meta.url));

/** policy-start.ts's summary line, as far as the targets read it. */
export interface StartFigures {
  readonly names: number;
  readonly dnsdistMs: number;
  readonly dnsmasqMs: number;
  readonly textMs: number;
  readonly snapshotMs: number;
  /** banwall from the snapshot, idle 3 s after ready. */
  readonly rssIdleMB: number;
  readonly dnsdistRssMB: number;
  readonly reloadGapMs?: number;
  readonly noReloadGapMs?: number;
}

/** Runs a bench script in its own Node process (procs.ts `run`); its stdout, or null when it failed. */
async function runScript(
  args: string[],
  log: (s: string) => void,
  timeoutMs: number,
): Promise<string | null> {
  const r = await run(process.execPath, args, timeoutMs, { cwd: path.dirname(BENCH) });
  if (r.code === 0) return r.stdout;
  const script = path.basename(args.find((a) => a.endsWith('.ts')) ?? '?');
  log(`  ${script} failed (${r.code}): ${r.stderr.trim().split('\n').at(-1)}`);
  return null;
}

/** policy-start.ts with the 1 M list: `rounds` alternating starts of dnsdist, dnsmasq and banwall. */
export async function startBench(rounds: number, log: (s: string) => void): Promise<StartFigures | null> {
  const out = await runScript(
    [path.join(BENCH, 'policy-start.ts'), '--rounds', String(rounds)],
    log,
    15 * 60_000,
  );
  const last = out?.trim().split('\n').at(-1);
  if (last === undefined) return null;
  const s = JSON.parse(last) as Record<string, { readyMs: number; rssMB: number } | number | undefined>;
  const row = (k: string) => s[k] as { readyMs: number; rssMB: number };
  return {
    names: s.names as number,
    dnsdistMs: row('dnsdist').readyMs,
    dnsmasqMs: row('dnsmasq').readyMs,
    textMs: row('text 0').readyMs,
    snapshotMs: row('snapshot 0').readyMs,
    rssIdleMB: row('snapshot 0').rssMB,
    dnsdistRssMB: row('dnsdist').rssMB,
    reloadGapMs: s.longestReplyGapDuringReloadMs as number | undefined,
    noReloadGapMs: s.longestReplyGapSameLoadNoReloadMs as number | undefined,
  };
}

/** cache-memory.ts: bytes of RSS per DNS cache entry beyond the answer's own bytes. */
export async function cacheOverheadBench(log: (s: string) => void): Promise<number | null> {
  // As its header says: a young generation small enough that the heap's growth is the entries'.
  const out = await runScript(
    ['--expose-gc', '--max-semi-space-size=1', path.join(BENCH, 'cache-memory.ts')],
    log,
    5 * 60_000,
  );
  const m = out === null ? null : /overhead \(rss - wire\) (-?\d+)/.exec(out);
  return m === null ? null : Number(m[1]);
}

interface Target {
  readonly what: string;
  readonly figure: string;
  readonly target: string;
  /** How far from the target: > 1 is better than it (met), < 1 short of it. */
  readonly score: number;
}

const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');

/** "met", or "missed, N× off" (the factor by which the figure must improve). */
function verdict(score: number): string {
  if (!Number.isFinite(score)) return 'not measured';
  return score >= 1 ? '**met**' : `missed, ${(1 / score).toFixed(2)}× off`;
}

export function formatTargets(
  res: Results,
  start: StartFigures | null,
  cacheOverhead: number | null,
  events: EventsBenchResult | undefined,
): string {
  const q = (scenario: string, server: string) => res.median(`${scenario}.qps`, server) ?? NaN;
  const us = (scenario: string, server: string) => res.median(`${scenario}.us`, server) ?? NaN;
  const rows: Target[] = [];
  const vsPeer = (what: string, scenario: string, peer: string) => {
    const r = q(scenario, 'banwall') / q(scenario, peer);
    rows.push({ what, figure: x(r), target: `≥ 1.0× ${peer}`, score: r });
  };
  vsPeer('1. misses, q/s', 'miss', 'dnsdist');
  vsPeer('1. blocked, q/s', 'blocked', 'dnsdist');
  if (cacheOverhead !== null)
    rows.push({
      what: '2. DNS cache: bytes per entry beyond the answer',
      figure: `${cacheOverhead} B`,
      target: '≤ 300 B',
      score: 300 / Math.max(cacheOverhead, 1),
    });
  if (start !== null) {
    rows.push({
      what: `3. ${start.names / 1e6} M list ready from the snapshot file`,
      figure: `${start.snapshotMs} ms = ${x(start.snapshotMs / start.dnsdistMs)} dnsdist (${start.dnsdistMs} ms)`,
      target: '≤ 1.0× dnsdist (CDB)',
      score: start.dnsdistMs / start.snapshotMs,
    });
    rows.push({
      what: `3. ${start.names / 1e6} M list ready from text`,
      figure: `${start.textMs} ms = ${x(start.textMs / start.dnsmasqMs)} dnsmasq (${start.dnsmasqMs} ms)`,
      target: '≤ 1.0× dnsmasq',
      score: start.dnsmasqMs / start.textMs,
    });
    rows.push({
      what: `3. RSS idle, ${start.names / 1e6} M list (from the snapshot)`,
      figure: `${start.rssIdleMB} MB (dnsdist ${start.dnsdistRssMB})`,
      target: '≤ 90 MB',
      score: 90 / start.rssIdleMB,
    });
    if (start.reloadGapMs !== undefined)
      rows.push({
        what: '4. longest reply gap while the list reloads (a query every 2 ms)',
        figure: `${start.reloadGapMs} ms (${start.noReloadGapMs} ms without a reload)`,
        target: '≤ 20 ms',
        score: 20 / Math.max(start.reloadGapMs, 1),
      });
  }
  for (const [what, key] of [
    ['5. proxy allowed, req/s', 'proxy.allowed'],
    ['5. proxy blocked (403), req/s', 'proxy.blocked'],
  ] as const) {
    const r = (res.median(`${key}.rps`, 'banwall') ?? NaN) / (res.median(`${key}.rps`, 'squid') ?? NaN);
    rows.push({ what, figure: x(r), target: '≥ 1.0× squid', score: r });
  }
  vsPeer('6. hits, q/s', 'hits', 'unbound');
  vsPeer('6. blocked, q/s', 'blocked', 'unbound');
  for (const scenario of ['hits', 'blocked']) {
    // q/s per server core is the inverse of the server's CPU per query.
    const r = us(scenario, 'unbound') / us(scenario, 'banwall');
    rows.push({
      what: `6. ${scenario}: q/s per server core`,
      figure: x(r),
      target: '≥ 1.0× unbound',
      score: r,
    });
  }
  if (events !== undefined) {
    const r = events.ratio.blocked.blocked;
    rows.push({
      what: 'issue 14: blocked q/s with the event store on (blocks only) vs off',
      figure: x(r),
      target: '≥ 0.95× (costs ≤ 5 %)',
      score: r / 0.95,
    });
  }
  return [
    '| target | this run | wanted | |',
    '| --- | --- | --- | --- |',
    ...rows.map((t) => `| ${t.what} | ${t.figure} | ${t.target} | ${verdict(t.score)} |`),
  ].join('\n');
}
