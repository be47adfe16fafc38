// Idle RSS of banwall with the event store on (the default), per checkout, as its `npm start` runs
// it (package.json's start: MALLOC_ARENA_MAX, the young generation's size): started, answered one
// allowed query (no event), 4 s idle, VmRSS; checkouts alternate. `node bench/events-idle-rss.ts ROOT … ` (ROUNDS=3).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startReady, stop, installCleanup } from './lib/procs.ts';
import { serveCommand } from './lib/start-flags.ts';
import { waitForDnsAnswer } from './lib/probe.ts';
import { writeEventsBenchConfig, writeEventsBenchData } from './lib/events-config.ts';
import { startFastUpstream } from './soak/fast-upstream.ts';

installCleanup();
// A root written `off:ROOT` runs that checkout with the store off (the floor).
const roots = process.argv.slice(2);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const { dir, list } = writeEventsBenchData('banwall-idle-rss-');
const upstream = await startFastUpstream();
const rss = new Map<string, number[]>(roots.map((r) => [r, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const entry of round % 2 === 0 ? roots : [...roots].reverse()) {
      const off = entry.startsWith('off:');
      const root = off ? entry.slice(4) : entry;
      const sub = path.join(dir, `${round}-${path.basename(root)}${off ? '-off' : ''}`);
      const { conf, dnsPort } = await writeEventsBenchConfig(sub, upstream.url, list, {
        events: { store: { path: 'events.db', enabled: !off } },
      });
      const { args, env } = serveCommand(root, conf);
      const { proc } = await startReady(
        'banwall-idle',
        process.execPath,
        args,
        path.join(sub, 'out.log'),
        (alive, t0) => waitForDnsAnswer(dnsPort, 'h1.bench', t0, 60_000, alive),
        { cwd: root, env },
      );
      await new Promise((r) => setTimeout(r, 4000));
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1]);
      const tasks = readFileSync(`/proc/${proc.pid}/status`, 'utf8').match(/Threads:\s+(\d+)/)?.[1];
      await stop(proc);
      rss.get(entry)!.push(kb / 1024);
      console.log(`round ${round + 1} ${entry}: ${(kb / 1024).toFixed(1)} MB, ${tasks} threads`);
    }
  }
} finally {
  await upstream.close();
}
for (const [root, v] of rss) {
  const s = [...v].sort((a, b) => a - b);
  console.log(
    `${root}: median ${s[Math.floor(s.length / 2)].toFixed(1)} MB (${v.map((x) => x.toFixed(1)).join(' ')})`,
  );
}
