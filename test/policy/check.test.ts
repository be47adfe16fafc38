// `banwall check` as CI runs it (issue 13): strict by default, every bad line shown (bounded), a list
// refused as mostly bad shows its lines too, and a list no group names fails unless marked unused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from './policy-helpers.ts';

async function check(config: Record<string, unknown>, dir: string, flags: string[] = []) {
  const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringify({ dns: { upstreams: ['udp://127.0.0.1:5300'] }, ...config }));
  const r = await runCli(['check', ...flags, '--config', file]);
  return { code: r.code, out: r.stdout + r.stderr };
}

const list = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  app: 'wechat',
  category: 'core',
  source: `${name}.txt`,
  ...extra,
});

void test('every bad line up to 50 per list, then a count; strict fails, --no-strict passes', async () => {
  const dir = await tempDir();
  const good = Array.from({ length: 200 }, (_, i) => `n${i}.example`);
  const bad = Array.from({ length: 120 }, (_, i) => `bad..${i}`);
  await writeFile(path.join(dir, 'many.txt'), [...good, ...bad].join('\n'));
  let r = await check({ lists: [list('many')] }, dir);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /list many: 200 entries \(domains\), 120 bad lines/);
  assert.equal(r.out.match(/many\.txt:\d+: not a valid domain name/g)?.length, 50);
  assert.ok(r.out.includes(`many.txt:201: not a valid domain name: bad..0`), r.out);
  assert.ok(r.out.includes(`many.txt:250: not a valid domain name: bad..49`), r.out);
  assert.match(r.out, /… and 70 more bad lines/);
  assert.match(r.out, /120 bad lines in 1 list\(s\): failed \(strict/);
  r = await check({ lists: [list('many')] }, dir, ['--no-strict']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /ok: 1 lists, 200 entries, 120 bad lines skipped/);
});

void test('a list refused as mostly bad shows every bad line, not only the first', async () => {
  const dir = await tempDir();
  await writeFile(path.join(dir, 'html.txt'), 'a.example\n<html>\n<body>\n<p>gone</p>\n</body>\n</html>\n');
  for (const flags of [[], ['--no-strict']]) {
    const r = await check({ lists: [list('html')] }, dir, flags);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /list html: 1 entries \(domains\), 5 bad lines, REFUSED/);
    for (const line of [2, 3, 4, 5, 6]) assert.match(r.out, new RegExp(`html\\.txt:${line}: `));
    assert.match(r.out, /error: lists\[0\]\.source: .*html\.txt: 5 of 6 lines are not rules/);
  }
});

void test('a list named by no group fails the check unless marked unused: true', async () => {
  const dir = await tempDir();
  await writeFile(path.join(dir, 'a.txt'), 'a.example\n');
  await writeFile(path.join(dir, 'b.txt'), 'b.example\n');
  const groups = [{ name: 'default', lists: ['a'] }];
  let r = await check({ lists: [list('a'), list('b')], groups }, dir);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /error: lists\[1\]: list "b" is named by no group, so it is never enforced/);
  r = await check({ lists: [list('a'), list('b', { unused: true })], groups }, dir);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /list b: named by no group, marked `unused: true`: not enforced/);
  // Without a `default` group every list applies to clients in no group: nothing is unenforced.
  r = await check({ lists: [list('a'), list('b')] }, dir);
  assert.equal(r.code, 0, r.out);
});
