// Load time and memory of the compiled policy with a generated list of N names (default 1,000,000):
//   node bench/policy-load.ts [N]
// Prints the time from reading the file to a swapped-in snapshot, whole-process RSS after it, and the
// cost of a lookup (hits and misses), and the longest event-loop delay while the list is reloaded
// under a datagram load (issue 17 item 4: ≤ 20 ms).
import dgram from 'node:dgram';
import { enableCompileCache } from 'node:module';
import { appendFile, mkdtemp, rm, open } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../src/config/load.ts';
import { PolicyStore } from '../src/policy/store.ts';
import { SNAPSHOT_FILE } from '../src/policy/snapshot-cache.ts';
import { createLogger } from '../src/log.ts';

// As bin/banwall.js: the compile worker of a reload then starts from cached code too.
enableCompileCache();
const n = Number(process.argv[2] ?? 1_000_000);
const dir = await mkdtemp(path.join(tmpdir(), 'banwall-bench-policy-'));
const nameOf = (i: number) => `host${i}.d${i % 9973}.example${i % 7}.com`;
// Written in chunks so that generating the list does not inflate this process's RSS.
const fh = await open(path.join(dir, 'big.txt'), 'w');
for (let i = 0; i < n; i += 10_000) {
  const chunk: string[] = [];
  for (let j = i; j < Math.min(n, i + 10_000); j++) chunk.push(nameOf(j));
  await fh.write(`${chunk.join('\n')}\n`);
}
await fh.close();
globalThis.gc?.();
const rssBefore = process.memoryUsage().rss;

const config = parseConfig(
  `dns: { upstreams: ['udp://127.0.0.1:53'] }\nlists:\n  - { name: big, app: bench, category: core, source: big.txt }\n`,
  path.join(dir, 'banwall.yaml'),
);
const store = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
const t0 = performance.now();
await store.load({ file: path.join(dir, 'banwall.yaml'), dir, config });
const loadMs = performance.now() - t0;
// Let pending frees settle (array buffers are released after a full GC finalises them).
await new Promise((r) => setTimeout(r, 100));
globalThis.gc?.();
const mem = process.memoryUsage();
const rss = mem.rss;

// A reload of an edited copy of the list while a DNS-like load runs: each datagram is judged by the
// policy in force and answered. The longest event-loop delay (1 ms resolution) is issue 17 item 4's
// figure: the reload's big parts run in the compile worker.
const server = dgram.createSocket('udp4');
server.on('message', (msg, rinfo) => {
  store.current.matchName(msg.toString('latin1'), rinfo.address);
  server.send(msg, rinfo.port, rinfo.address);
});
await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
const client = dgram.createSocket('udp4');
let answered = 0;
client.on('message', () => answered++);
const load = setInterval(() => {
  for (let i = 0; i < 5; i++) client.send(nameOf(i * 7), server.address().port, '127.0.0.1');
}, 1);
const idleDelay = monitorEventLoopDelay({ resolution: 1 });
idleDelay.enable();
await new Promise((r) => setTimeout(r, 2000));
idleDelay.disable();
await appendFile(path.join(dir, 'big.txt'), 'reloaded.example.com\n');
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
const tr = performance.now();
await store.load({ file: path.join(dir, 'banwall.yaml'), dir, config });
const reloadMs = performance.now() - tr;
delay.disable();
clearInterval(load);
client.close();
server.close();
const reloadMaxDelayMs = delay.max / 1e6;
if (!store.current.matchName('reloaded.example.com', '127.0.0.1')) throw new Error('reload not in force');

// A restart with config and list unchanged reads the policy snapshot file (blocking.cacheDir); without
// that file, it reads the list's compiled copy kept beside it.
await store.snapshotWritten();
const restart = async () => {
  const again = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  const t1 = performance.now();
  await again.load({ file: path.join(dir, 'banwall.yaml'), dir, config });
  again.close();
  return performance.now() - t1;
};
const snapshotMs = await restart();
await rm(path.join(dir, 'var/lists', SNAPSHOT_FILE));
const warmMs = await restart();

const p = store.current;
const q = 1_000_000;
// Flat strings, as a DNS front end decodes them from the packet (a template literal is a cons string).
const queries = Array.from({ length: 1000 }, (_, i) =>
  Buffer.from(`a.${nameOf((i * 7919) % n)}`).toString('latin1'),
);
let hits = 0;
let t = performance.now();
for (let i = 0; i < q; i++) if (p.matchName(queries[i % 1000], '127.0.0.1')) hits++;
const hitNs = ((performance.now() - t) * 1e6) / q;
t = performance.now();
for (let i = 0; i < q; i++) if (p.matchName('www.not-listed.example.org', '127.0.0.1')) hits++;
const missNs = ((performance.now() - t) * 1e6) / q;

console.log(
  JSON.stringify({
    names: n,
    loadMs: Math.round(loadMs),
    loadFromSnapshotFileMs: Math.round(snapshotMs),
    loadFromCompiledCopyMs: Math.round(warmMs),
    reloadMs: Math.round(reloadMs),
    reloadMaxEventLoopDelayMs: Math.round(reloadMaxDelayMs),
    sameLoadNoReloadMaxDelayMs: Math.round(idleDelay.max / 1e6),
    datagramsAnsweredDuringReload: answered,
    rssMB: Math.round(rss / 2 ** 20),
    rssBeforeLoadMB: Math.round(rssBefore / 2 ** 20),
    heapUsedMB: Math.round(mem.heapUsed / 2 ** 20),
    arrayBuffersMB: Math.round(mem.arrayBuffers / 2 ** 20),
    lookupHitNs: Math.round(hitNs),
    lookupMissNs: Math.round(missNs),
    hits,
  }),
);
store.close();
await rm(dir, { recursive: true, force: true });
