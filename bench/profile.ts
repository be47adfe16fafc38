// `npm run bench -- --profile`: banwall alone, one process per scenario (hits, blocked, misses),
// each under `node --cpu-prof`; prints the functions with the most self time per scenario.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { dnsperf } from './lib/dnsperf.ts';
import { blockedName, type DataFiles } from './lib/gen.ts';
import { stop } from './lib/procs.ts';
import { waitForDnsAnswer } from './lib/probe.ts';
import { banwallDns } from './servers/banwall.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

/** banwall's source folders → the stage of a query's path they are (first match wins). */
const STAGES: [RegExp, string][] = [
  [/src\/dns\/wire\/parse-query/, 'parse the query'],
  [/src\/dns\/wire\/encode-reply/, 'encode the reply'],
  [/src\/dns\/wire\/answer-facts/, 'answer check (read upstream answer, facts)'],
  [/src\/dns\/server\/batched-udp\.ts/, 'front end: batched I/O (sendmmsg, slot copies; JS per batch)'],
  [/src\/dns\/server\//, 'front end (receive, send to client)'],
  [/src\/(dns\/blocking|policy)\//, 'blocking (name, CNAME, IP checks)'],
  [/src\/dns\/cache\//, 'cache (lookup, miss, insert)'],
  [/src\/dns\/upstream\//, 'upstream exchange (send, match, timers)'],
  [/src\/dns\/(stats|querylog)|src\/querylog|src\/metrics/, 'stats and query log'],
  [/src\/dns\/(acl|ratelimit)\//, 'ACL, rate limit, ANY'],
  [/src\//, 'other banwall code'],
];

/**
 * CPU per answered query by stage: each sample is charged to the stage of its nearest banwall
 * frame (itself or a caller), so Node's dgram send under the front end counts as "send to client"
 * and under the upstream transport as the upstream exchange. Samples with no banwall frame are the
 * runtime's: GC, V8 and libuv's receive path.
 */
export function stageBreakdown(file: string, answered: number, fromUs = 0, toUs = Infinity): string[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
  };
  const byId = new Map(prof.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of prof.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const stageOf = new Map<number, string>();
  const stage = (id: number): string => {
    const known = stageOf.get(id);
    if (known !== undefined) return known;
    const f = byId.get(id)!.callFrame;
    let st: string | undefined;
    for (const [re, name] of STAGES) if (re.test(f.url)) st = st ?? name;
    if (st === undefined) {
      const up = parent.get(id);
      if (up !== undefined && byId.get(up)!.callFrame.functionName !== '(root)') st = stage(up);
      else if (f.functionName === '(garbage collector)') st = 'runtime: garbage collector';
      else if (f.functionName === '(idle)') st = '(idle)';
      else st = 'runtime: V8, libuv receive, other';
    }
    stageOf.set(id, st);
    return st;
  };
  const us = new Map<string, number>();
  let t = prof.startTime;
  let busy = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i];
    t += dt;
    if (t < fromUs || t > toUs) continue;
    const st = stage(prof.samples[i]);
    if (st === '(idle)') continue;
    us.set(st, (us.get(st) ?? 0) + dt);
    busy += dt;
  }
  const per = (v: number) => (v / Math.max(1, answered)).toFixed(2).padStart(6);
  return [
    ...[...us]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${per(v)} µs  ${((v / busy) * 100).toFixed(1).padStart(5)} %  ${k}`),
    `${per(busy)} µs  total CPU per answered query (${answered} answered)`,
  ];
}

/**
 * Self time per function as a share of the samples taken between `fromUs` and `toUs` (monotonic
 * clock, microseconds: V8's profile timestamps and process.hrtime share it), most first. The window
 * leaves out start-up (module loading, list parsing) so the figures are the serving path's.
 */
export function topFunctions(file: string, n: number, fromUs = 0, toUs = Infinity): string[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
  };
  const byId = new Map(prof.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i];
    if (t < fromUs || t > toUs) continue;
    const f = byId.get(prof.samples[i])!.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/work\/main\//, '')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + 1);
    total++;
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export async function runProfile(
  workDir: string,
  data: DataFiles,
  upstreamPort: number,
  seconds: number,
  log: (line: string) => void,
): Promise<void> {
  const scenarios = [
    ['hits', data.queries.hits],
    ['blocked', data.queries.blocked],
    ['miss', data.queries.miss],
  ] as const;
  // BENCH_PROFILE_ONLY=blocked (comma-separated names) profiles only those scenarios.
  const only = process.env.BENCH_PROFILE_ONLY?.split(',');
  for (const [name, file] of scenarios) {
    if (only !== undefined && !only.includes(name)) continue;
    const dir = path.join(workDir, 'prof', name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const peer = banwallDns(workDir, data, { workers: 1, profileDir: dir });
    const s = await peer.start(1_000_000, upstreamPort);
    let alive = true;
    void s.proc.exited.then(() => (alive = false));
    await waitForDnsAnswer(s.port, blockedName(999_999), performance.now(), 60_000, () => alive, 3);
    if (name === 'hits') await dnsperf(s.port, file, 10, { passes: 1 });
    const from = nowUs();
    const r = await dnsperf(s.port, file, seconds);
    const to = nowUs();
    await stop(s.proc, 15_000);
    log(`profile ${name}: ${r.qps.toFixed(0)} q/s under the profiler`);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
      for (const line of topFunctions(path.join(dir, f), 30, from, to)) log(`    ${line}`);
      log(`  ${name}: CPU per answered query by stage`);
      const answered = r.sent - r.lost;
      for (const line of stageBreakdown(path.join(dir, f), answered, from, to)) log(`    ${line}`);
      log(`    (${path.join(dir, f)}: open in Chrome DevTools or speedscope for the call tree)`);
    }
  }
}
