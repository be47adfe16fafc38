// What recording events costs the resolver (issue 14): banwall with the event store off, on for
// blocks only (the default, identical repeats folded), on for every query, and on for blocks without
// folding, measured in the same run, rounds alternating the order; hit and blocked q/s with their
// ratios to "off", and the disk bytes per event and per row.
// Run alone (`node bench/events-bench.ts`, inside ../shared/tools/isolated.sh) or from bench/run.ts.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dnsperf } from './lib/dnsperf.ts';
import { startReady, stop, installCleanup, type Started } from './lib/procs.ts';
import { serveCommand } from './lib/start-flags.ts';
import { waitForDnsAnswer } from './lib/probe.ts';
import { EVENTS_LIST_NAMES, writeEventsBenchConfig, writeEventsBenchData } from './lib/events-config.ts';
import { startFastUpstream } from './soak/fast-upstream.ts';
import { EventStore } from '../src/events/event-store.ts';
import type { PolicyEvent } from '../src/events/event.ts';
import { eventsSchema } from '../src/events/config.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** events.store.foldWindow when the config does not set it. */
const DEFAULT_FOLD_MS = eventsSchema.parse({}).store.foldWindow;
/** off: no store; blocked: blocks only (the default, folded); all: every query; blocked-nofold: blocks, foldWindow 0. */
const MODES = ['off', 'blocked', 'all', 'blocked-nofold'] as const;
type Mode = (typeof MODES)[number];

interface Qps {
  hits: number;
  blocked: number;
}

/** CPU per answered query, µs: the thread that answers, and every other thread (the writer, GC helpers). */
interface Cpu {
  main: number;
  others: number;
}

export interface EventsBenchResult {
  /** Median q/s per mode. */
  readonly qps: Record<Mode, Qps>;
  /** Median over rounds of (mode ÷ off in the same round). */
  readonly ratio: Record<Mode, Qps>;
  /** Median CPU per blocked query (Linux; NaN elsewhere). */
  readonly cpu: Record<Mode, Cpu>;
  /** The store's serving-thread CPU per blocked event, in-process: folded (the default window) and not. */
  readonly inProcess: { folded: number; unfolded: number };
  readonly rounds: number;
  readonly seconds: number;
  /** Per stored mode: file + WAL bytes, events on record, rows. */
  readonly disk: Partial<Record<Mode, { bytes: number; events: number; rows: number; dropped: number }>>;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function metric(httpPort: number, re: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return Number(re.exec(text)?.[1] ?? NaN);
}

/**
 * The store's own cost on the serving thread, in-process and in CPU time (which a busy machine
 * distorts far less than q/s): µs per blocked event of folding, queueing, encoding and posting, at a
 * steady 20,000 events/s over the 10,000 names, with fresh strings per event as the wire gives.
 * The same loop without the store is subtracted, run just before it, in `pairs` pairs: the median
 * difference (one pair alone once gave a negative cost, the base run caught in a pause the store
 * run was not).
 */
export async function storeCpuPerEvent(
  dir: string,
  foldWindow: number,
  events: number,
  pairs = 3,
): Promise<number> {
  // Names sliced from one buffer, flat as the wire's (a template literal gives a rope, which the
  // fold's hash would flatten: a cost no query pays).
  const wire = Buffer.from(
    Array.from({ length: EVENTS_LIST_NAMES }, (_, n) => `b${n}.blocked.bench\n`).join(''),
    'latin1',
  );
  const ends: number[] = [];
  for (let i = 0; i < wire.length; i++) if (wire[i] === 10) ends.push(i);
  const PER_TICK = 1000;
  const TICK_MS = 50;
  const run = async (store: EventStore | null): Promise<number> => {
    const t0 = process.threadCpuUsage();
    for (let i = 0; i < events; i += PER_TICK) {
      for (let k = 0; k < PER_TICK; k++) {
        const n = (i + k) % EVENTS_LIST_NAMES;
        const e: PolicyEvent = {
          time: Date.now(),
          // A fresh string per event, as the socket gives one per datagram.
          client: `127.0.0.${1 + (k & 0)}`,
          group: 'default',
          identity: '',
          layer: 'dns',
          protocol: 'udp',
          target: wire.toString('latin1', n === 0 ? 0 : ends[n - 1] + 1, ends[n]),
          kind: 'A',
          decision: 'blocked',
          app: 'bench',
          category: 'core',
          list: 'bench',
          rule: 'blocked.bench',
          source: 'list.txt:1',
          answer: 'NXDOMAIN EDE 15',
          durationMs: 0.01,
          intercepted: false,
        };
        store?.offer(e);
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    const cpu = process.threadCpuUsage(t0);
    return (cpu.user + cpu.system) / events;
  };
  const diffs: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const base = await run(null);
    const store = new EventStore({
      file: path.join(dir, `inproc-${foldWindow}-${p}.db`),
      queueSize: 65_536,
      flushInterval: 250,
      maxAge: 0,
      maxBytes: 0,
      foldWindow,
    });
    const withStore = await run(store);
    await store.close();
    diffs.push(withStore - base);
  }
  return median(diffs);
}

/** Nanoseconds each thread of `pid` has run (schedstat), the answering thread apart. */
export function threadCpuNs(pid: number): Cpu {
  const out = { main: 0, others: 0 };
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        if (tid === String(pid)) out.main += ns;
        else out.others += ns;
      } catch {
        // the thread ended between the listing and the read
      }
    }
  } catch {
    return { main: NaN, others: NaN };
  }
  return out;
}

export function fileBytes(db: string): number {
  let bytes = 0;
  for (const f of [db, `${db}-wal`]) {
    try {
      bytes += statSync(f).size;
    } catch {
      // no WAL: checkpointed on close
    }
  }
  return bytes;
}

/**
 * One banwall per mode, all started first and left running (an idle one costs nothing), then
 * rounds of hits and blocked runs against each, the order of the modes reversed every other round,
 * so that a noisy neighbour weighs on every mode alike; ratios are taken within a round.
 */
export async function eventsBench(opts: {
  seconds: number;
  rounds: number;
  log: (l: string) => void;
}): Promise<EventsBenchResult> {
  const { dir, list, blockedQ, hitsQ } = writeEventsBenchData('banwall-events-bench-');
  const upstream = await startFastUpstream();
  const runs = Object.fromEntries(
    MODES.map((m) => [m, { hits: [], blocked: [], main: [], others: [] }]),
  ) as unknown as Record<Mode, { hits: number[]; blocked: number[]; main: number[]; others: number[] }>;
  const servers = new Map<Mode, { proc: Started; dnsPort: number; httpPort: number; db: string }>();
  const disk: EventsBenchResult['disk'] = {};
  const inProcess = { folded: NaN, unfolded: NaN };
  try {
    for (const mode of MODES) {
      const sub = path.join(dir, mode);
      const { conf, dnsPort, httpPort } = await writeEventsBenchConfig(sub, upstream.url, list, {
        queryLog: { enabled: false },
        audit: { enabled: false },
        events: {
          record: mode === 'all' ? 'all' : 'blocked',
          store: {
            enabled: mode !== 'off',
            path: 'events.db',
            ...(mode === 'blocked-nofold' ? { foldWindow: 0 } : {}),
          },
        },
      });
      // As `npm start` runs it.
      const { args, env } = serveCommand(ROOT, conf);
      const { proc } = await startReady(
        `banwall-events-${mode}`,
        process.execPath,
        args,
        path.join(sub, 'out.log'),
        (alive, t0) => waitForDnsAnswer(dnsPort, 'b1.blocked.bench', t0, 60_000, alive, 3),
        { cwd: ROOT, env },
      );
      servers.set(mode, { proc, dnsPort, httpPort, db: path.join(sub, 'events.db') });
      await dnsperf(dnsPort, hitsQ, 1); // warm the cache
    }
    // Workload-major: the same workload against every mode back to back, so the runs a ratio
    // compares are seconds apart.
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) {
        const { dnsPort } = servers.get(mode)!;
        runs[mode].hits.push((await dnsperf(dnsPort, hitsQ, opts.seconds)).qps);
      }
      for (const mode of order) {
        const { dnsPort, proc } = servers.get(mode)!;
        const before = threadCpuNs(proc.pid);
        const blocked = await dnsperf(dnsPort, blockedQ, opts.seconds);
        const after = threadCpuNs(proc.pid);
        const answered = Math.max(1, blocked.sent - blocked.lost);
        runs[mode].blocked.push(blocked.qps);
        runs[mode].main.push((after.main - before.main) / 1000 / answered);
        runs[mode].others.push((after.others - before.others) / 1000 / answered);
      }
      opts.log(
        `  events round ${round + 1}: ` +
          MODES.map(
            (m) =>
              `${m} ${Math.round(runs[m].hits[round])}/${Math.round(runs[m].blocked[round])} q/s ` +
              `(${runs[m].main[round].toFixed(1)}+${runs[m].others[round].toFixed(1)} µs)`,
          ).join(', '),
      );
    }
    opts.log('  events: the store alone on the serving thread, in-process');
    // A first pass compiles the store's code: without it the first figure is mostly the JIT.
    await storeCpuPerEvent(dir, DEFAULT_FOLD_MS, 40_000, 1);
    inProcess.unfolded = await storeCpuPerEvent(dir, 0, 60_000);
    inProcess.folded = await storeCpuPerEvent(dir, DEFAULT_FOLD_MS, 60_000);
    // The last repeats leave the fold table once their window has passed, then the writer's last flush.
    await new Promise((r) => setTimeout(r, DEFAULT_FOLD_MS + 1500));
    for (const [mode, s] of servers) {
      if (mode === 'off') continue;
      const written = await metric(s.httpPort, /^banwall_events_stored_total\{outcome="written"\} (\d+)/m);
      const folded = await metric(s.httpPort, /^banwall_events_stored_total\{outcome="folded"\} (\d+)/m);
      const dropped = await metric(s.httpPort, /^banwall_events_dropped_total\{sink="store"\} (\d+)/m);
      await stop(s.proc);
      disk[mode] = { bytes: fileBytes(s.db), events: written, rows: written - folded, dropped };
    }
  } finally {
    for (const s of servers.values()) await stop(s.proc);
    await upstream.close();
  }
  const pick = (f: (m: Mode, i: number) => Qps) =>
    Object.fromEntries(
      MODES.map((m) => {
        const per = runs[m].hits.map((_, i) => f(m, i));
        return [m, { hits: median(per.map((q) => q.hits)), blocked: median(per.map((q) => q.blocked)) }];
      }),
    ) as Record<Mode, Qps>;
  return {
    qps: pick((m, i) => ({ hits: runs[m].hits[i], blocked: runs[m].blocked[i] })),
    ratio: pick((m, i) => ({
      hits: runs[m].hits[i] / runs.off.hits[i],
      blocked: runs[m].blocked[i] / runs.off.blocked[i],
    })),
    cpu: Object.fromEntries(
      MODES.map((m) => [m, { main: median(runs[m].main), others: median(runs[m].others) }]),
    ) as Record<Mode, Cpu>,
    inProcess,
    rounds: opts.rounds,
    seconds: opts.seconds,
    disk,
  };
}

const LABEL: Record<Mode, string> = {
  off: 'off',
  blocked: `blocks only (default, foldWindow ${DEFAULT_FOLD_MS / 1000}s)`,
  all: 'every query (record: all)',
  'blocked-nofold': 'blocks only, foldWindow 0',
};

export function formatEventsBench(r: EventsBenchResult): string {
  const x = (v: number) => `${v.toFixed(2)}×`;
  // Every event the mode made, and the share the store took: a writer that yields drops instead.
  const stored = (m: Mode): string => (r.disk[m] === undefined ? '–' : String(r.disk[m].events));
  const dropped = (m: Mode): string => {
    const d = r.disk[m];
    if (d === undefined) return '–';
    const pct = (100 * d.dropped) / Math.max(1, d.events + d.dropped);
    return `${d.dropped} (${pct.toFixed(1)} %)`;
  };
  const row = (m: Mode) =>
    `| ${LABEL[m]} | ${Math.round(r.qps[m].hits)} | ${x(r.ratio[m].hits)} | ${Math.round(r.qps[m].blocked)} | ${x(r.ratio[m].blocked)} ` +
    `| ${stored(m)} | ${dropped(m)} ` +
    `| ${r.cpu[m].main.toFixed(1)} | ${x(r.cpu.off.main / r.cpu[m].main)} | ${r.cpu[m].others.toFixed(1)} |`;
  const diskLine = (m: Mode) => {
    const d = r.disk[m];
    if (d === undefined || !(d.events > 0)) return `- ${LABEL[m]}: no events counted`;
    return (
      `- ${LABEL[m]}: ${Math.round(d.bytes / d.events)} bytes per event, ${Math.round(d.bytes / Math.max(1, d.rows))} per row ` +
      `(${d.events} events in ${d.rows} rows, ${(d.bytes / 1024 / 1024).toFixed(1)} MiB file and WAL; ${d.dropped} events dropped)`
    );
  };
  return [
    '| event store | hits q/s | vs off | blocked q/s | vs off | events stored | dropped | blocked: answering thread µs/q | its q/s bound vs off | other threads µs/q |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...MODES.map(row),
    '',
    `Median of ${r.rounds} rounds of ${r.seconds} s, the order of the modes reversed every other round; "vs off" is the ` +
      'median of the ratios within each round. CPU per blocked query from /proc schedstat (median): the answering ' +
      'thread (its inverse bounds q/s when it has a core; "vs off" = off ÷ mode) and all other threads (the store ' +
      'writer at SCHED_IDLE or nice 19, GC helpers). Events stored and dropped: over the whole run (every round, ' +
      'hits and blocked), from banwall_events_stored_total and banwall_events_dropped_total{sink="store"}. Blocked: 10,000 blocked names in a loop (each name again about every ' +
      '0.5 s at these rates); hits: 1,000 cached names. Disk:',
    ...(['blocked', 'all', 'blocked-nofold'] as const).map(diskLine),
    '',
    `The store alone on the serving thread (in-process, CPU time, 20,000 blocked events/s over the 10,000 names): ` +
      `${r.inProcess.folded.toFixed(2)} µs per event folded (${DEFAULT_FOLD_MS / 1000} s), ${r.inProcess.unfolded.toFixed(2)} µs unfolded — ` +
      `${((100 * r.inProcess.folded) / r.cpu.off.main).toFixed(1)} % and ${((100 * r.inProcess.unfolded) / r.cpu.off.main).toFixed(1)} % ` +
      `of the ${r.cpu.off.main.toFixed(1)} µs the answering thread spends per blocked query with the store off.`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  installCleanup();
  const r = await eventsBench({
    seconds: Number(process.env.SECONDS_PER_RUN ?? 2),
    rounds: Number(process.env.ROUNDS ?? 7),
    log: (l) => console.log(l),
  });
  console.log(formatEventsBench(r));
}
