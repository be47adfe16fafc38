// What recording events costs the resolver (issue 14): banwall with the event store off, on for
// blocks only (the default, identical repeats folded), on for every query, and on for blocks without
// folding, measured in the same run, rounds alternating the order; hit and blocked q/s with their
// ratios to "off", and the disk bytes per event and per row.
// Run alone (`node bench/events-bench.ts`, inside ../shared/tools/isolated.sh) or from bench/run.ts.
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { dnsperf } from './lib/dnsperf.ts';
import { startReady, stop, installCleanup, type Started } from './lib/procs.ts';
import { freePort, waitForDnsAnswer } from './lib/probe.ts';
import { startFastUpstream } from './soak/fast-upstream.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin/banwall.js');
/** off: no store; blocked: blocks only (the default, folded); all: every query; blocked-nofold: blocks, foldWindow 0. */
const MODES = ['off', 'blocked', 'all', 'blocked-nofold'] as const;
type Mode = (typeof MODES)[number];
const LIST = 10_000;
const HITS = 1000;

interface Qps {
  hits: number;
  blocked: number;
}

export interface EventsBenchResult {
  /** Median q/s per mode. */
  readonly qps: Record<Mode, Qps>;
  /** Median over rounds of (mode ÷ off in the same round). */
  readonly ratio: Record<Mode, Qps>;
  readonly rounds: number;
  readonly seconds: number;
  /** Per stored mode: file + WAL bytes, events on record, rows. */
  readonly disk: Partial<Record<Mode, { bytes: number; events: number; rows: number; dropped: number }>>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function metric(httpPort: number, re: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return Number(re.exec(text)?.[1] ?? NaN);
}

function fileBytes(db: string): number {
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
  const dir = mkdtempSync(path.join(tmpdir(), 'banwall-events-bench-'));
  const list = path.join(dir, 'list.txt');
  writeFileSync(list, Array.from({ length: LIST }, (_, i) => `b${i}.blocked.bench`).join('\n'));
  const blockedQ = path.join(dir, 'blocked.q');
  writeFileSync(blockedQ, Array.from({ length: LIST }, (_, i) => `b${i}.blocked.bench A`).join('\n'));
  const hitsQ = path.join(dir, 'hits.q');
  writeFileSync(hitsQ, Array.from({ length: HITS }, (_, i) => `h${i}.bench A`).join('\n'));
  const upstream = await startFastUpstream();
  const runs = Object.fromEntries(MODES.map((m) => [m, { hits: [], blocked: [] }])) as unknown as Record<
    Mode,
    { hits: number[]; blocked: number[] }
  >;
  const servers = new Map<Mode, { proc: Started; dnsPort: number; httpPort: number; db: string }>();
  const disk: EventsBenchResult['disk'] = {};
  try {
    for (const mode of MODES) {
      const sub = path.join(dir, mode);
      mkdirSync(sub);
      const [dnsPort, httpPort] = [await freePort(), await freePort()];
      const conf = path.join(sub, 'banwall.yaml');
      writeFileSync(
        conf,
        stringify({
          log: { level: 'warn' },
          dns: { listen: [`127.0.0.1:${dnsPort}`], upstreams: [upstream.url] },
          lists: [{ name: 'bench', app: 'bench', category: 'core', source: list, format: 'domains' }],
          groups: [{ name: 'default', lists: ['bench'] }],
          http: { listen: [`127.0.0.1:${httpPort}`] },
          queryLog: { enabled: false },
          canaries: { enabled: false },
          audit: { enabled: false },
          events: {
            record: mode === 'all' ? 'all' : 'blocked',
            store: {
              enabled: mode !== 'off',
              path: 'events.db',
              ...(mode === 'blocked-nofold' ? { foldWindow: 0 } : {}),
            },
          },
        }),
      );
      const { proc } = await startReady(
        `banwall-events-${mode}`,
        process.execPath,
        [CLI, 'serve', '--config', conf],
        path.join(sub, 'out.log'),
        (alive, t0) => waitForDnsAnswer(dnsPort, 'b1.blocked.bench', t0, 60_000, alive, 3),
        { cwd: ROOT },
      );
      servers.set(mode, { proc, dnsPort, httpPort, db: path.join(sub, 'events.db') });
      await dnsperf(dnsPort, hitsQ, 1); // warm the cache
    }
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) {
        const { dnsPort } = servers.get(mode)!;
        const hits = await dnsperf(dnsPort, hitsQ, opts.seconds);
        const blocked = await dnsperf(dnsPort, blockedQ, opts.seconds);
        runs[mode].hits.push(hits.qps);
        runs[mode].blocked.push(blocked.qps);
        opts.log(
          `  events ${mode.padEnd(14)} round ${round + 1}: hits ${Math.round(hits.qps)} q/s, blocked ${Math.round(blocked.qps)} q/s`,
        );
      }
    }
    for (const [mode, s] of servers) {
      if (mode === 'off') continue;
      await new Promise((r) => setTimeout(r, 2500)); // the fold window and the writer's last flush
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
    rounds: opts.rounds,
    seconds: opts.seconds,
    disk,
  };
}

const LABEL: Record<Mode, string> = {
  off: 'off',
  blocked: 'blocks only (default, foldWindow 1s)',
  all: 'every query (record: all)',
  'blocked-nofold': 'blocks only, foldWindow 0',
};

export function formatEventsBench(r: EventsBenchResult): string {
  const x = (v: number) => `${v.toFixed(2)}×`;
  const row = (m: Mode) =>
    `| ${LABEL[m]} | ${Math.round(r.qps[m].hits)} | ${x(r.ratio[m].hits)} | ${Math.round(r.qps[m].blocked)} | ${x(r.ratio[m].blocked)} |`;
  const diskLine = (m: Mode) => {
    const d = r.disk[m];
    if (d === undefined || !(d.events > 0)) return `- ${LABEL[m]}: no events counted`;
    return (
      `- ${LABEL[m]}: ${Math.round(d.bytes / d.events)} bytes per event, ${Math.round(d.bytes / Math.max(1, d.rows))} per row ` +
      `(${d.events} events in ${d.rows} rows, ${(d.bytes / 1024 / 1024).toFixed(1)} MiB file and WAL; ${d.dropped} events dropped)`
    );
  };
  return [
    '| event store | hits q/s | vs off | blocked q/s | vs off |',
    '|---|---:|---:|---:|---:|',
    ...MODES.map(row),
    '',
    `Median of ${r.rounds} rounds of ${r.seconds} s, the order of the modes reversed every other round; "vs off" is the ` +
      'median of the ratios within each round. Blocked: 10,000 blocked names in a loop (each name again about every ' +
      '0.5 s at these rates); hits: 1,000 cached names. Disk:',
    ...(['blocked', 'all', 'blocked-nofold'] as const).map(diskLine),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  installCleanup();
  const r = await eventsBench({
    seconds: Number(process.env.SECONDS_PER_RUN ?? 5),
    rounds: Number(process.env.ROUNDS ?? 5),
    log: (l) => console.log(l),
  });
  console.log(formatEventsBench(r));
}
