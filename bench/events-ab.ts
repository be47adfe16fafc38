// Two (or more) checkouts of banwall against each other, same run: per tree a banwall with the
// event store off and one per store mode, rounds alternating the order; per (tree, mode) the
// median hit and blocked q/s, the ratio to that tree's "off" within a round, the CPU per blocked
// query of the answering thread and of the others (the writer), the answering thread's CPU per query
// against its tree's "off" in the same round (paired: the medians of two noisy columns differ by
// more than the store costs), the events stored and dropped and the disk bytes per event. For a change to the store: `node bench/events-ab.ts OLD_ROOT NEW_ROOT`.
//   ROUNDS (6), SECONDS_PER_RUN (2), EVENTS_MODES (off,blocked,all)
import path from 'node:path';
import { dnsperf } from './lib/dnsperf.ts';
import { startReady, stop, installCleanup, type Started } from './lib/procs.ts';
import { serveCommand } from './lib/start-flags.ts';
import { waitForDnsAnswer } from './lib/probe.ts';
import { writeEventsBenchConfig, writeEventsBenchData } from './lib/events-config.ts';
import { startFastUpstream } from './soak/fast-upstream.ts';
import { fileBytes, median, metric, threadCpuNs } from './events-bench.ts';

installCleanup();
const trees = process.argv.slice(2);
const rounds = Number(process.env.ROUNDS ?? 6);
const seconds = Number(process.env.SECONDS_PER_RUN ?? 2);
const modes = (process.env.EVENTS_MODES ?? 'off,blocked,all').split(',');
const { dir, list, blockedQ, hitsQ } = writeEventsBenchData('banwall-events-ab-');
const upstream = await startFastUpstream();
interface Server {
  key: string;
  tree: string;
  mode: string;
  proc: Started;
  dnsPort: number;
  httpPort: number;
  db: string;
  hits: number[];
  blocked: number[];
  main: number[];
  others: number[];
  othersTotal: number;
}
const servers: Server[] = [];
try {
  for (const [t, tree] of trees.entries()) {
    for (const mode of modes) {
      const sub = path.join(dir, `${t}-${mode}`);
      const { conf, dnsPort, httpPort } = await writeEventsBenchConfig(sub, upstream.url, list, {
        queryLog: { enabled: false },
        audit: { enabled: false },
        events: {
          record: mode === 'all' ? 'all' : 'blocked',
          store: { enabled: mode !== 'off', path: 'events.db' },
        },
      });
      // As `npm start` runs it.
      const { args, env } = serveCommand(tree, conf);
      const { proc } = await startReady(
        `banwall-ab-${t}-${mode}`,
        process.execPath,
        args,
        path.join(sub, 'out.log'),
        (alive, t0) => waitForDnsAnswer(dnsPort, 'b1.blocked.bench', t0, 60_000, alive, 3),
        { cwd: tree, env },
      );
      const key = `${t}:${path.basename(tree)}:${mode}`;
      servers.push({
        key,
        tree,
        mode,
        proc,
        dnsPort,
        httpPort,
        db: path.join(sub, 'events.db'),
        hits: [],
        blocked: [],
        main: [],
        others: [],
        othersTotal: 0,
      });
      await dnsperf(dnsPort, hitsQ, 1);
    }
  }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const s of order) s.hits.push((await dnsperf(s.dnsPort, hitsQ, seconds)).qps);
    for (const s of order) {
      const before = threadCpuNs(s.proc.pid);
      const r = await dnsperf(s.dnsPort, blockedQ, seconds);
      const after = threadCpuNs(s.proc.pid);
      const answered = Math.max(1, r.sent - r.lost);
      s.blocked.push(r.qps);
      s.main.push((after.main - before.main) / 1000 / answered);
      s.others.push((after.others - before.others) / 1000 / answered);
    }
    console.log(
      `round ${round + 1}: ` +
        servers
          .map(
            (s) =>
              `${s.key} ${Math.round(s.hits[round])}/${Math.round(s.blocked[round])} (${s.main[round].toFixed(1)}+${s.others[round].toFixed(1)} µs)`,
          )
          .join(', '),
    );
  }
  await new Promise((r) => setTimeout(r, 2500));
  for (const s of servers) s.othersTotal = threadCpuNs(s.proc.pid).others;
  console.log(
    '| tree:mode | hits q/s | vs off | blocked q/s | vs off | answering µs/q | vs off | others µs/q | events | dropped | bytes/event | bytes/row | others, whole run, µs/event |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of servers) {
    const off = servers.find((o) => o.tree === s.tree && o.mode === 'off')!;
    const ratio = (k: 'hits' | 'blocked' | 'main') => median(s[k].map((v, i) => v / off[k][i]));
    let disk = '| – | – | – | – | – |';
    if (s.mode !== 'off') {
      // The writer runs when it finds CPU (SCHED_IDLE), also after a run: its CPU over the whole
      // run (every thread but the answering one, less what the same threads took with the store
      // off) over the events it wrote.
      const others = s.othersTotal - off.othersTotal;
      const written = await metric(s.httpPort, /^banwall_events_stored_total\{outcome="written"\} (\d+)/m);
      const folded = await metric(s.httpPort, /^banwall_events_stored_total\{outcome="folded"\} (\d+)/m);
      const dropped = await metric(s.httpPort, /^banwall_events_dropped_total\{sink="store"\} (\d+)/m);
      await stop(s.proc);
      const bytes = fileBytes(s.db);
      disk = `| ${written} | ${dropped} | ${Math.round(bytes / written)} | ${Math.round(bytes / Math.max(1, written - folded))} | ${(others / 1000 / written).toFixed(2)} |`;
    }
    console.log(
      `| ${s.key} | ${Math.round(median(s.hits))} | ${ratio('hits').toFixed(2)}× | ${Math.round(median(s.blocked))} | ${ratio('blocked').toFixed(2)}× ` +
        `| ${median(s.main).toFixed(2)} | ${ratio('main').toFixed(3)}× | ${median(s.others).toFixed(2)} ${disk}`,
    );
  }
} finally {
  for (const s of servers) await stop(s.proc);
  await upstream.close();
}
