// The list file watcher reports a change only once the file has stopped changing: a copy written in
// pieces is one change, taken after its last piece, never in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ListFileWatcher, SETTLE_MS } from '../../src/policy/sources/file-watcher.ts';
import { createLogger } from '../../src/log.ts';
import { tempDir } from './policy-helpers.ts';

void test('a file written in pieces 100 ms apart settles once, after the last piece', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'list.txt');
  const other = path.join(dir, 'other.txt');
  await writeFile(file, '');
  const settled: { at: number; size: number; files: readonly string[] }[] = [];
  const w = new ListFileWatcher(createLogger('silent'), (files) => {
    void stat(file).then((st) => settled.push({ at: Date.now(), size: st.size, files }));
  });
  try {
    w.watchFiles(new Set([file]));
    await writeFile(other, 'not watched\n'); // a file of the directory that is no list: ignored
    await new Promise((r) => setTimeout(r, 4 * SETTLE_MS));
    assert.equal(settled.length, 0, 'a change of another file is not reported');
    for (let i = 0; i < 8; i++) {
      await appendFile(file, `n${i}.example\n`);
      await new Promise((r) => setTimeout(r, SETTLE_MS / 2));
    }
    const lastWrite = Date.now();
    const end = Date.now() + 5000;
    while (settled.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 3 * SETTLE_MS));
    assert.equal(settled.length, 1, `settled ${settled.length} times`);
    assert.equal(settled[0].size, 8 * 'n0.example\n'.length, 'reported with the whole file');
    assert.deepEqual(settled[0].files, [file]);
    assert.ok(settled[0].at - lastWrite >= SETTLE_MS, 'not before two stat()s agreed');
  } finally {
    w.close();
  }
});
