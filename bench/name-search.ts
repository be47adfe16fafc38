// The policy's name search alone (`matchName` on a 1 M-name table), with the bench's query mixes:
//   node bench/name-search.ts [--names N] [--rounds R] [--base DIR]
// `blocked`: the bench's blocked names (10 k listed names spread over the list); `hits`: the bench's
// hit names (`h<i>.bench`, 10 k, no suffix listed); `allowed`: 100 k distinct 4-label names no
// suffix of which is listed. Each also `…, cached`: the first 16 names of the mix over and over, so
// every line they touch stays in the CPU cache: the difference is what the cache misses cost.
// `--base DIR` (repeatable) loads a second policy from another tree's src/ (e.g. a worktree of main) in the same
// process and alternates the two round by round: an A/B in the same minutes on this shared machine.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/load.ts';
import { createLogger } from '../src/log.ts';
import { blockedName, hitName } from './lib/gen.ts';

interface Policy {
  matchName(name: string, client: string): unknown;
}
interface Store {
  load(cfg: unknown): Promise<unknown>;
  readonly current: Policy;
  close(): void;
}

const { values: args } = parseArgs({
  options: {
    names: { type: 'string' },
    rounds: { type: 'string' },
    calls: { type: 'string' },
    base: { type: 'string', multiple: true },
  },
});
const n = Number(args.names ?? 1_000_000);
const rounds = Number(args.rounds ?? 11);
const CALLS = Number(args.calls ?? 300_000);
const CLIENT = '127.0.0.1';

const dir = await mkdtemp(path.join(tmpdir(), 'banwall-name-search-'));
const fh = await open(path.join(dir, 'list.txt'), 'w');
for (let i = 0; i < n; i += 10_000) {
  const chunk: string[] = [];
  for (let j = i; j < Math.min(n, i + 10_000); j++) chunk.push(blockedName(j));
  await fh.write(`${chunk.join('\n')}\n`);
}
await fh.close();
/** The config, each tree with its own cache directory (its own policy snapshot file). */
function loaded(cacheDir: string) {
  const yaml = `dns: { upstreams: ['udp://127.0.0.1:53'] }\nblocking: { cacheDir: ${cacheDir} }\nlists:\n  - { name: big, app: bench, category: core, source: list.txt }\n`;
  const file = path.join(dir, 'banwall.yaml');
  return { file, dir, config: parseConfig(yaml, file) };
}

async function storeFrom(root: string, cacheDir: string): Promise<Store> {
  const mod = (await import(path.resolve(root, 'src/policy/store.ts'))) as {
    PolicyStore: new (log: unknown, opts: unknown) => Store;
  };
  const store = new mod.PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  const t = performance.now();
  await store.load(loaded(cacheDir));
  console.error(`${root}: loaded ${n} names in ${Math.round(performance.now() - t)} ms`);
  return store;
}

const here = path.resolve(import.meta.dirname, '..');
const trees: [string, Store][] = [['this tree', await storeFrom(here, 'cache-this')]];
for (const [i, base] of (args.base ?? []).entries())
  trees.splice(i, 0, [path.basename(base), await storeFrom(base, `cache-base${i}`)]);

// Flat strings, as the DNS front end decodes them from the packet.
const flat = (s: string) => Buffer.from(s, 'latin1').toString('latin1');
const step = Math.floor(1_000_000 / 10_000);
const mixes: [string, string[]][] = [
  ['blocked', Array.from({ length: 10_000 }, (_, i) => flat(blockedName((i * step) % n)))],
  ['hits', Array.from({ length: 10_000 }, (_, i) => flat(hitName(i)))],
  ['allowed', Array.from({ length: 100_000 }, (_, i) => flat(`www.site${i}.cdn${i % 997}.example.net`))],
];
for (const [name, q] of mixes.slice()) mixes.push([`${name}, cached`, q.slice(0, 16)]);

/** ns per matchName over CALLS calls cycling through `q`; returns the blocked count too. */
function time(p: Policy, q: string[]): { ns: number; blocked: number } {
  let blocked = 0;
  const len = q.length;
  const t = performance.now();
  for (let i = 0; i < CALLS; i++) if (p.matchName(q[i % len], CLIENT) !== null) blocked++;
  return { ns: ((performance.now() - t) * 1e6) / CALLS, blocked };
}

const results = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  // Alternate which tree goes first, so neither always runs on the other's warmed cache.
  const order = r % 2 === 0 ? trees : [...trees].reverse();
  for (const [mix, q] of mixes)
    for (const [tree, store] of order) {
      const { ns, blocked } = time(store.current, q);
      const expect = mix.startsWith('blocked') ? CALLS : 0;
      if (blocked !== expect) throw new Error(`${tree} ${mix}: ${blocked} blocked, expected ${expect}`);
      const k = `${mix}\t${tree}`;
      results.set(k, [...(results.get(k) ?? []), ns]);
    }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`matchName, ${n} names, ${rounds} rounds of ${CALLS} calls, median (min–max) ns per call`);
for (const [k, v] of results)
  console.log(`${k}\t${median(v).toFixed(0)}\t(${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)})`);
for (const [, s] of trees) s.close();
await rm(dir, { recursive: true, force: true });
