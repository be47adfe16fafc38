// The event store's cost on the answering thread, profiled: one banwall with the store off and one
// with it on (blocks only, the default), each under `node --cpu-prof`, the same blocked load
// (10,000 blocked names cycled) against each; prints the top functions and the stages of each and
// the CPU per blocked query of each thread (/proc schedstat). Linux, loopback only.
//   node bench/events-profile.ts [seconds] [tree …]   (a tree: another checkout's root to compare)
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dnsperf } from './lib/dnsperf.ts';
import { startReady, stop, installCleanup } from './lib/procs.ts';
import { serveCommand } from './lib/start-flags.ts';
import { waitForDnsAnswer } from './lib/probe.ts';
import { writeEventsBenchConfig, writeEventsBenchData } from './lib/events-config.ts';
import { startFastUpstream } from './soak/fast-upstream.ts';
import { stageBreakdown, topFunctions } from './profile.ts';
import { threadCpuNs } from './events-bench.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

installCleanup();
const seconds = Number(process.argv[2] ?? 5);
const trees = process.argv.length > 3 ? process.argv.slice(3) : [ROOT];
const { dir, list, blockedQ } = writeEventsBenchData('banwall-events-prof-');
const upstream = await startFastUpstream();
try {
  for (const tree of trees) {
    for (const store of [false, true]) {
      const sub = path.join(dir, `${path.basename(tree)}-${store ? 'on' : 'off'}`);
      const { conf, dnsPort } = await writeEventsBenchConfig(sub, upstream.url, list, {
        queryLog: { enabled: false },
        audit: { enabled: false },
        events: { record: 'blocked', store: { enabled: store, path: 'events.db' } },
      });
      // As `npm start` runs it (its flags and its environment), under the profiler.
      const { args, env } = serveCommand(tree, conf, ['--cpu-prof', '--cpu-prof-dir', sub]);
      const { proc } = await startReady(
        `banwall-prof-${store}`,
        process.execPath,
        args,
        path.join(sub, 'out.log'),
        (alive, t0) => waitForDnsAnswer(dnsPort, 'b1.blocked.bench', t0, 60_000, alive, 3),
        { cwd: tree, env },
      );
      await dnsperf(dnsPort, blockedQ, 2); // warm up: JIT, the rings grown
      const before = threadCpuNs(proc.pid);
      const from = nowUs();
      const r = await dnsperf(dnsPort, blockedQ, seconds);
      const to = nowUs();
      const after = threadCpuNs(proc.pid);
      await stop(proc, 15_000);
      const answered = r.sent - r.lost;
      console.log(
        `\n== ${tree} store ${store ? 'on' : 'off'}: ${r.qps.toFixed(0)} q/s; µs per blocked query: answering thread ` +
          `${((after.main - before.main) / 1000 / answered).toFixed(2)}, others ${((after.others - before.others) / 1000 / answered).toFixed(2)}`,
      );
      // The main thread's profile is the first file (the writer thread writes its own).
      for (const f of readdirSync(sub).filter((x) => x.endsWith('.cpuprofile'))) {
        console.log(`-- ${f}`);
        for (const line of topFunctions(path.join(sub, f), 25, from, to)) console.log(`    ${line}`);
        for (const line of stageBreakdown(path.join(sub, f), answered, from, to)) console.log(`    ${line}`);
      }
    }
  }
} finally {
  await upstream.close();
}
