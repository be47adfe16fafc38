// `npm run fuzz [-- target...]`: runs each coverage-guided fuzz target (jazzer.js + libFuzzer) for a
// bounded time, then merges the inputs that found new coverage into fuzz/corpus/<target>/ (commit
// them: `npm test` replays the corpus). A crash is written to fuzz/findings/ and fails the run.
// FUZZ_SECONDS (default 60) bounds each target.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FUZZ = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(FUZZ);
const JAZZER = path.join(ROOT, 'node_modules/@jazzer.js/core/dist/cli.js');
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 60);
const FINDINGS = path.join(FUZZ, 'findings');

const all = readdirSync(path.join(FUZZ, 'targets')).map((f) => f.replace(/\.ts$/, ''));
const targets = process.argv.length > 2 ? process.argv.slice(2) : all;

interface Outcome {
  target: string;
  runs: number;
  execPerSec: number;
  cov: number;
  corpusBefore: number;
  corpusAfter: number;
  crashed: boolean;
}

function jazzer(target: string, args: string[], libFuzzer: string[]): Promise<{ code: number; log: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        path.join(FUZZ, 'preload.ts'),
        JAZZER,
        path.join(FUZZ, 'targets', `${target}.ts`),
        ...args,
        '--sync',
        '--',
        ...libFuzzer,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, log }));
  });
}

async function fuzzOne(target: string): Promise<Outcome> {
  const corpus = path.join(FUZZ, 'corpus', target);
  mkdirSync(corpus, { recursive: true });
  mkdirSync(FINDINGS, { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), `banwall-fuzz-${target}-`));
  const corpusBefore = readdirSync(corpus).length;
  // New inputs go to the first directory (a scratch one); the committed corpus seeds the run.
  const run = await jazzer(
    target,
    [work, corpus],
    [
      `-max_total_time=${SECONDS}`,
      '-max_len=4096',
      '-timeout=10',
      '-rss_limit_mb=2048',
      `-artifact_prefix=${FINDINGS}/${target}-`,
      '-print_final_stats=1',
    ],
  );
  const crashed = run.code !== 0;
  if (crashed) process.stderr.write(run.log.split('\n').slice(-40).join('\n'));
  // Every file libFuzzer left in the scratch directory found new coverage when written (it removes the
  // ones a smaller input replaced). libFuzzer's -merge=1 would minimise further, but it forks inner
  // processes that jazzer.js does not support (measured: 0 features per attempt), so copy them.
  for (const f of readdirSync(work)) copyFileSync(path.join(work, f), path.join(corpus, f));
  rmSync(work, { recursive: true, force: true });
  // libFuzzer's status lines: `#<runs> <event> cov: <edges> ... exec/s: <rate>`; the last one counts.
  const done = [...run.log.matchAll(/#(\d+)\s+\w+\s+cov: (\d+) .*?exec\/s: (\d+)/g)].at(-1);
  const runs = Number(/stat::number_of_executed_units:\s*(\d+)/.exec(run.log)?.[1] ?? done?.[1] ?? 0);
  return {
    target,
    runs,
    execPerSec: Number(done?.[3] ?? 0),
    cov: Number(done?.[2] ?? 0),
    corpusBefore,
    corpusAfter: readdirSync(corpus).length,
    crashed,
  };
}

const outcomes: Outcome[] = [];
for (const target of targets) {
  process.stdout.write(`fuzzing ${target} for ${SECONDS} s...\n`);
  outcomes.push(await fuzzOne(target));
}
console.log('\n| target | runs | exec/s | coverage | corpus before → after | result |');
console.log('|---|---|---|---|---|---|');
for (const o of outcomes) {
  console.log(
    `| ${o.target} | ${o.runs} | ${o.execPerSec} | ${o.cov} | ${o.corpusBefore} → ${o.corpusAfter} | ${o.crashed ? 'CRASH (see fuzz/findings/)' : 'ok'} |`,
  );
}
if (outcomes.some((o) => o.crashed)) process.exitCode = 1;
