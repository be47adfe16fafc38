// Per-lookup cost of regex rules: RE2 (re2js, what list regexes now run on) against V8's RegExp
// (what they ran on before), for a catastrophic pattern and two ordinary ones, on short names.
//   node bench/regex-cost.ts
// Bounded: the backtracking RegExp runs the catastrophic pattern once per input length, only up to
// 24 characters (each extra character doubles its time: 33 characters took 19 s in issue 12).
// Also the whole matchName of a policy holding those regex rules (and 300 more), beside one without.
import { compileNameRegex, type LinearRegex } from '../src/policy/match/name-regex.ts';
import { parseConfig } from '../src/config/load.ts';
import { PolicyStore } from '../src/policy/store.ts';
import { createLogger } from '../src/log.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const N = 200_000;
const patterns = {
  evil: '^(a+)+$',
  anchored: '^ad[0-9]+\\.example\\.',
  suffix: '(^|\\.)weixin\\.qq\\.com$',
};
const inputs = { attack: `${'a'.repeat(33)}!`, normal: 'www.example.com', hit: 'long.weixin.qq.com' };

function nsPer(test: (s: string) => boolean, input: string, n = N): number {
  let hits = 0;
  const t = performance.now();
  for (let i = 0; i < n; i++) if (test(input)) hits++;
  const ns = ((performance.now() - t) * 1e6) / n;
  return hits < 0 ? -1 : Math.round(ns);
}

const re2: Record<string, Record<string, number>> = {};
const native: Record<string, Record<string, number>> = {};
for (const [name, body] of Object.entries(patterns)) {
  const r = compileNameRegex(body) as LinearRegex;
  const js = new RegExp(body, 'i');
  re2[name] = {};
  native[name] = {};
  for (const [what, input] of Object.entries(inputs)) {
    re2[name][what] = nsPer((s) => r.test(s), input);
    if (name !== 'evil') native[name][what] = nsPer((s) => js.test(s), input);
  }
}
// The old engine on the evil pattern: one run per length, stopped at 24 characters.
const backtrackingMs: Record<number, number> = {};
for (const len of [16, 20, 22, 24]) {
  const js = new RegExp(patterns.evil, 'i');
  const t = performance.now();
  js.test(`${'a'.repeat(len)}!`);
  backtrackingMs[len] = Math.round((performance.now() - t) * 100) / 100;
}

// Whole lookups through a compiled policy: 1,000 names, with and without the three regex rules.
const dir = await mkdtemp(path.join(tmpdir(), 'banwall-bench-regex-'));
const names = Array.from({ length: 1000 }, (_, i) => `host${i}.example${i % 7}.com`).join('\n');
await writeFile(path.join(dir, 'names.txt'), `${names}\n`);
const regexLines = Object.values(patterns).map((b) => `/${b}/`);
await writeFile(path.join(dir, 'regex.txt'), `${names}\n${regexLines.join('\n')}\n`);
// 300 rules of the shape ad-blocking lists carry: one automaton for all (match/regex-set.ts).
const many = Array.from({ length: 300 }, (_, i) => `/^ad${i}[0-9]*\\.tracker${i % 17}\\.(com|net)$/`);
await writeFile(path.join(dir, 'many.txt'), `${names}\n${regexLines.join('\n')}\n${many.join('\n')}\n`);
async function lookupNs(file: string): Promise<Record<string, number>> {
  const config = parseConfig(
    `dns: { upstreams: ['udp://127.0.0.1:53'] }\nlists:\n  - { name: l, app: bench, category: core, source: ${file} }\n`,
    path.join(dir, 'banwall.yaml'),
  );
  const store = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  await store.load({ file: path.join(dir, 'banwall.yaml'), dir, config });
  const p = store.current;
  const out: Record<string, number> = {};
  for (const [what, input] of Object.entries(inputs)) {
    const flat = Buffer.from(input).toString('latin1');
    out[what] = nsPer((s) => p.matchName(s, '127.0.0.1') !== null, flat);
  }
  store.close();
  return out;
}
const policyNoRegex = await lookupNs('names.txt');
const policyThreeRegexes = await lookupNs('regex.txt');
const policy303Regexes = await lookupNs('many.txt');
await rm(dir, { recursive: true, force: true });

console.log(
  JSON.stringify(
    {
      nsPerTest: { re2, nativeRegExp: native },
      backtrackingMs,
      matchNameNs: { policyNoRegex, policyThreeRegexes, policy303Regexes },
    },
    null,
    1,
  ),
);
