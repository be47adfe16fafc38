// A reload compiled in the worker thread (src/policy/worker) decides as a compile on the main thread
// does, for every rule form, across lists, a kept list (its keys taken back out of the table in force)
// and a changed one; a worker that fails fails the reload and the policy in force keeps serving; the
// policy snapshot file written after the reload gives the same decisions again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PolicyLoadError } from '../../src/policy/store.ts';
import { PolicyStore } from '../../src/policy/store.ts';
import { CompileOffload } from '../../src/policy/worker/compile-offload.ts';
import { createLogger } from '../../src/log.ts';
import type { PolicySnapshot } from '../../src/policy/snapshot.ts';
import { loaded, policyConfig, tempDir } from './policy-helpers.ts';

const BIG = 80_000; // over the 50,000 names and 1 MiB from which a reload uses the worker
const bigText = (extra: string) =>
  Array.from({ length: BIG }, (_, i) => `w${i}.bulk${i % 13}.test`).join('\n') + `\n${extra}`;
const smallText = [
  'weixin.qq.com',
  '=exact.example',
  '*.subonly.example',
  '@@allowed.weixin.qq.com',
  '/^ad[0-9]+\\.regex\\.test$/',
  'ip 203.0.113.0/24',
  'url shop.example /app/**',
].join('\n');
const names = [
  'weixin.qq.com',
  'long.weixin.qq.com',
  'allowed.weixin.qq.com',
  'exact.example',
  'a.exact.example',
  'subonly.example',
  'x.subonly.example',
  'ad12.regex.test',
  'w5.bulk5.test',
  'x.w79999.bulk10.test',
  'w5x.bulk5.test',
  'added.test',
  'other.test',
];
const decide = (p: PolicySnapshot) =>
  names.map((n) => {
    const m = p.matchName(n, '127.0.0.1');
    return `${n}: ${m ? `${m.rule.list} ${m.rule.rule} line ${m.rule.line}` : 'allowed'}`;
  });

async function setup() {
  const dir = await tempDir();
  await writeFile(path.join(dir, 'bulk.txt'), bigText(''));
  const cfg = loaded(
    dir,
    await policyConfig(dir, [
      { name: 'small', text: smallText },
      { name: 'bulk', source: 'bulk.txt' },
    ]),
  );
  return { dir, cfg };
}

const newStore = () => new PolicyStore(createLogger('silent'), { watch: false, refresh: false });

void test('a reload through the worker decides as a compile on the main thread', async () => {
  const { dir, cfg } = await setup();
  const store = newStore();
  await store.load(cfg); // first load: on the main thread
  await appendFile(path.join(dir, 'bulk.txt'), 'added.test\n');
  let built = 0;
  const orig = CompileOffload.prototype.buildTable;
  CompileOffload.prototype.buildTable = function (this: CompileOffload, b) {
    built++;
    return orig.call(this, b);
  };
  try {
    await store.load(cfg); // reload: bulk.txt read and the table built in the worker
  } finally {
    CompileOffload.prototype.buildTable = orig;
  }
  assert.equal(built, 1, 'the table was built in the worker');
  const fresh = newStore();
  await fresh.load({
    ...cfg,
    config: { ...cfg.config, blocking: { ...cfg.config.blocking, cacheDir: 'other' } },
  });
  assert.deepEqual(decide(store.current), decide(fresh.current));
  assert.match(decide(store.current).join('\n'), /added\.test: bulk added\.test line 80001/);
  // The snapshot file of the reload: a new process's first load takes it and decides the same.
  await store.snapshotWritten();
  const restarted = newStore();
  await restarted.load(cfg);
  assert.deepEqual(decide(restarted.current), decide(fresh.current));
  for (const s of [store, fresh, restarted]) s.close();
});

void test('a worker that fails fails the reload; the policy in force keeps serving', async () => {
  const { dir, cfg } = await setup();
  const store = newStore();
  await store.load(cfg);
  const before = store.current;
  await appendFile(path.join(dir, 'bulk.txt'), 'added.test\n');
  const orig = CompileOffload.prototype.buildTable;
  CompileOffload.prototype.buildTable = () => Promise.reject(new Error('compile worker exited (code 1)'));
  try {
    await assert.rejects(store.load(cfg), (err: PolicyLoadError) => {
      assert.match(err.problems.join('\n'), /policy not compiled: compile worker exited/);
      return true;
    });
  } finally {
    CompileOffload.prototype.buildTable = orig;
  }
  assert.equal(store.current, before, 'the policy in force was kept');
  assert.equal(store.current.matchName('added.test', '127.0.0.1'), null);
  assert.ok(store.current.matchName('w7.bulk7.test', '127.0.0.1'));
  // The next reload (the worker back) takes the change.
  await store.load(cfg);
  assert.ok(store.current.matchName('added.test', '127.0.0.1'));
  store.close();
});
