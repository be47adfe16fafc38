// Load time and memory of the compiled policy with a generated list of N names (default 1,000,000):
//   node bench/policy-load.ts [N]
// Prints the time from reading the file to a swapped-in snapshot, whole-process RSS after it, and the
// cost of a lookup (hits and misses). Issue 6's targets: ready in ≤ 1.0 s, RSS ≤ 100 MB for 1 M names.
import { mkdtemp, rm, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../src/config/load.ts';
import { PolicyStore } from '../src/policy/store.ts';
import { createLogger } from '../src/log.ts';

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

// A restart with the file unchanged reads the compiled copy kept in blocking.cacheDir.
const again = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
const t1 = performance.now();
await again.load({ file: path.join(dir, 'banwall.yaml'), dir, config });
const warmMs = performance.now() - t1;
again.close();

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
    loadFromCompiledCopyMs: Math.round(warmMs),
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
