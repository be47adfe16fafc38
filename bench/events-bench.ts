// What recording events costs the resolver (issue 14): banwall with the event store off, on for
// blocks only (the default) and on for every query, measured in the same run, rounds alternating
// the order; hit and blocked q/s with their ratios to "off", and the disk bytes per stored event.
// Run alone (`node bench/events-bench.ts`, inside ../shared/tools/isolated.sh) or from bench/run.ts.
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { dnsperf } from './lib/dnsperf.ts';
import { startReady, stop, installCleanup } from './lib/procs.ts';
import { freePort, waitForDnsAnswer } from './lib/probe.ts';
import { startFastUpstream } from './soak/fast-upstream.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin/banwall.js');
const MODES = ['off', 'blocked', 'all'] as const;
type Mode = (typeof MODES)[number];
const LIST = 10_000;
const HITS = 1000;

export interface EventsBenchResult {
  readonly qps: Record<Mode, { hits: number; blocked: number }>;
  readonly bytesPerEvent: number;
  readonly eventsWritten: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function metric(httpPort: number, re: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return Number(re.exec(text)?.[1] ?? NaN);
}

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
  const runs: Record<Mode, { hits: number[]; blocked: number[] }> = {
    off: { hits: [], blocked: [] },
    blocked: { hits: [], blocked: [] },
    all: { hits: [], blocked: [] },
  };
  let bytesPerEvent = NaN;
  let eventsWritten = 0;
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const order = round % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) {
        const sub = path.join(dir, `${mode}-${round}`);
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
              store: { enabled: mode !== 'off', path: 'events.db' },
            },
          }),
        );
        const { proc } = await startReady(
          `banwall-${mode}`,
          process.execPath,
          [CLI, 'serve', '--config', conf],
          path.join(sub, 'out.log'),
          (alive, t0) => waitForDnsAnswer(dnsPort, 'b1.blocked.bench', t0, 60_000, alive, 3),
          { cwd: ROOT },
        );
        try {
          await dnsperf(dnsPort, hitsQ, 1); // warm the cache
          const hits = await dnsperf(dnsPort, hitsQ, opts.seconds);
          const blocked = await dnsperf(dnsPort, blockedQ, opts.seconds);
          runs[mode].hits.push(hits.qps);
          runs[mode].blocked.push(blocked.qps);
          opts.log(
            `  events ${mode.padEnd(7)} round ${round + 1}: hits ${Math.round(hits.qps)} q/s, blocked ${Math.round(blocked.qps)} q/s`,
          );
          if (mode === 'blocked') {
            await new Promise((r) => setTimeout(r, 1500)); // the writer's last flush
            const written = await metric(
              httpPort,
              /^banwall_events_stored_total\{outcome="written"\} (\d+)/m,
            );
            eventsWritten = written;
            await stop(proc);
            const db = path.join(sub, 'events.db');
            let bytes = statSync(db).size;
            try {
              bytes += statSync(`${db}-wal`).size;
            } catch {
              // checkpointed on close
            }
            if (written > 0) bytesPerEvent = bytes / written;
          }
        } finally {
          await stop(proc);
        }
      }
    }
  } finally {
    await upstream.close();
  }
  const qps = Object.fromEntries(
    MODES.map((m) => [m, { hits: median(runs[m].hits), blocked: median(runs[m].blocked) }]),
  ) as Record<Mode, { hits: number; blocked: number }>;
  return { qps, bytesPerEvent, eventsWritten };
}

export function formatEventsBench(r: EventsBenchResult): string {
  const row = (m: Mode) =>
    `| ${m} | ${Math.round(r.qps[m].hits)} | ${(r.qps[m].hits / r.qps.off.hits).toFixed(2)}× | ${Math.round(r.qps[m].blocked)} | ${(r.qps[m].blocked / r.qps.off.blocked).toFixed(2)}× |`;
  return [
    '| event store | hits q/s | vs off | blocked q/s | vs off |',
    '|---|---:|---:|---:|---:|',
    ...MODES.map(row),
    '',
    `Disk: ${Math.round(r.bytesPerEvent)} bytes per stored event (${r.eventsWritten} events, file and WAL).`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  installCleanup();
  const r = await eventsBench({
    seconds: Number(process.env.SECONDS_PER_RUN ?? 5),
    rounds: 3,
    log: (l) => console.log(l),
  });
  console.log(formatEventsBench(r));
}
