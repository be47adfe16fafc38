// Replays the committed fuzz corpus (fuzz/corpus/<target>/*) through each fuzz target, without
// jazzer.js: every input that ever found new coverage, and every past crash once fixed, must pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/banwall.ts';

const CORPUS = path.join(ROOT, 'fuzz/corpus');

for (const target of readdirSync(CORPUS)) {
  void test(`fuzz corpus replays cleanly: ${target}`, async () => {
    const mod = (await import(path.join(ROOT, 'fuzz/targets', `${target}.ts`))) as {
      fuzz: (data: Buffer) => void | Promise<void>;
    };
    const files = readdirSync(path.join(CORPUS, target));
    assert.ok(files.length > 0, 'corpus is empty');
    for (const file of files) {
      const data = readFileSync(path.join(CORPUS, target, file));
      try {
        await mod.fuzz(data);
      } catch (err) {
        assert.fail(`${target}/${file} (${data.toString('base64')}): ${(err as Error).stack}`);
      }
    }
  });
}
