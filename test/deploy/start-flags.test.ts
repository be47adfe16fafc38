// `npm start` and the container image run banwall with the same Node flags and malloc setting (the
// young generation's size trades idle RSS against the proxy's throughput: bench/README.md), and the
// benches start every checkout with what its package.json says (bench/lib/start-flags.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseStartScript, startFlags } from '../../bench/lib/start-flags.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

void test('the start script parses into variables and Node flags', () => {
  assert.deepEqual(parseStartScript('A=1 B_2=x exec node --f=1 --g bin/banwall.js serve'), {
    env: { A: '1', B_2: 'x' },
    nodeArgs: ['--f=1', '--g'],
  });
  assert.throws(() => parseStartScript('exec deno run main.ts'), /does not run node/);
});

void test('the image runs banwall with the flags and malloc setting of npm start', () => {
  const { nodeArgs, env } = startFlags(ROOT);
  const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  assert.ok(entry, 'an ENTRYPOINT in exec form');
  const argv = JSON.parse(entry[1]) as string[];
  assert.equal(argv[0], 'node');
  assert.deepEqual(argv.slice(1, 1 + nodeArgs.length), nodeArgs);
  assert.match(argv[1 + nodeArgs.length], /bin\/banwall\.js$/);
  for (const [name, value] of Object.entries(env))
    assert.match(dockerfile, new RegExp(`^\\s*${name}=${value}\\b`, 'm'), `ENV ${name}=${value}`);
});
