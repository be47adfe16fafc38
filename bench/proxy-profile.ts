// `npm run bench -- --profile --only proxy`: banwall's proxy alone under `node --cpu-prof`, one process
// per forwarder and scenario (allowed: 1 KiB from the origin by IP literal; blocked: a name on the
// 100 k list), wrk as in the bench; prints the busy CPU per request and the functions with the most
// self time, counted only while wrk ran (start-up and the warm-up second left out).
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PROXY_BLOCKED_HOST, type DataFiles } from './lib/gen.ts';
import { stop } from './lib/procs.ts';
import { wrk } from './lib/wrk.ts';
import { topFunctions } from './profile.ts';
import { banwallProxy } from './servers/banwall.ts';

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** CPU time (µs) the profile saw busy between `fromUs` and `toUs`: every sample but `(idle)`. */
function busyUs(file: string, fromUs: number, toUs: number): number {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string } }[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
  };
  const idle = new Set(prof.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let t = prof.startTime;
  let busy = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i];
    if (t >= fromUs && t <= toUs && !idle.has(prof.samples[i])) busy += prof.timeDeltas[i];
  }
  return busy;
}

export async function runProxyProfile(
  workDir: string,
  data: DataFiles,
  upstreamPort: number,
  originPort: number,
  seconds: number,
  log: (line: string) => void,
): Promise<void> {
  const urls = {
    allowed: `http://127.0.0.1:${originPort}/1k`,
    blocked: `http://${PROXY_BLOCKED_HOST}/download/setup.exe`,
  };
  for (const forwarder of ['undici', 'http-proxy'] as const) {
    for (const scenario of ['allowed', 'blocked'] as const) {
      const dir = path.join(workDir, 'prof', `proxy-${forwarder}-${scenario}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const s = await banwallProxy(workDir, data, { workers: 1, forwarder, profileDir: dir }).start(
        upstreamPort,
      );
      await wrk(workDir, s.port, urls[scenario], 1); // warm-up, not counted
      const from = nowUs();
      const r = await wrk(workDir, s.port, urls[scenario], seconds);
      const to = nowUs();
      await stop(s.proc, 15_000);
      // The largest profile is the main thread's (a worker thread writes its own, small one).
      const files = readdirSync(dir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => path.join(dir, f))
        .sort((a, b) => readFileSync(b).length - readFileSync(a).length);
      if (files.length === 0) {
        log(`profile proxy ${forwarder} ${scenario}: no profile written`);
        continue;
      }
      const perRequest = busyUs(files[0], from, to) / Math.max(1, r.requests);
      log(
        `profile proxy ${forwarder} ${scenario}: ${r.rps.toFixed(0)} req/s under the profiler, ` +
          `${perRequest.toFixed(1)} µs busy per request`,
      );
      for (const line of topFunctions(files[0], 25, from, to)) log(`    ${line}`);
      log(`    (${files[0]}: open in Chrome DevTools or speedscope for the call tree)`);
    }
  }
}
