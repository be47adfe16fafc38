// Policy tests (`tests:` files): parsing with file:line errors, and the shipped expectations met by
// the shipped policy through the same match calls that enforce.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PolicyStore } from '../../src/policy/store.ts';
import { parseExpectations } from '../../src/policy/tests/expectations.ts';
import { formatFailure, runExpectations } from '../../src/policy/tests/run-expectations.ts';
import { shippedStore } from './policy-helpers.ts';
import { ROOT } from '../helpers/banwall.ts';

let store: PolicyStore;
before(async () => {
  store = await shippedStore();
});
after(() => store.close());

void test('expectation files: verbs, subjects, app/category, client lines and errors with file:line', () => {
  const p = parseExpectations(
    [
      '# comment',
      'block weixin.qq.com wechat/core   # trailing comment',
      'allow http://dldir1.qq.com/qqfile/x.exe',
      'client 10.1.2.3',
      'block 101.32.104.4 wechat',
      'deny x.example',
      'block',
      'block not a name',
      'allow qq.com wechat',
      'client nope',
      'block ftp://x.example/',
    ].join('\n'),
    't.txt',
  );
  assert.deepEqual(
    p.expectations.map((e) => [e.line, e.expect, e.kind, e.subject, e.app, e.category, e.client]),
    [
      [2, 'block', 'name', 'weixin.qq.com', 'wechat', 'core', '127.0.0.1'],
      [3, 'allow', 'url', 'http://dldir1.qq.com/qqfile/x.exe', undefined, undefined, '127.0.0.1'],
      [5, 'block', 'ip', '101.32.104.4', 'wechat', undefined, '10.1.2.3'],
    ],
  );
  assert.deepEqual(
    p.errors.map((e) => e.split(':').slice(0, 2).join(':')),
    ['t.txt:6', 't.txt:7', 't.txt:8', 't.txt:9', 't.txt:10', 't.txt:11'],
  );
});

void test('the shipped policy tests hold against the shipped policy', async () => {
  const dir = path.join(ROOT, 'blocklists/tests');
  let total = 0;
  for (const f of ['wechat.txt', 'kaspersky.txt', 'keep-working.txt']) {
    const p = parseExpectations(await readFile(path.join(dir, f), 'utf8'), `blocklists/tests/${f}`);
    assert.deepEqual(p.errors, []);
    const failures = runExpectations(store.current, p.expectations);
    assert.deepEqual(failures.map(formatFailure), []);
    total += p.expectations.length;
  }
  assert.ok(total >= 40, `${total} expectations`);
});

void test('a failing expectation names file:line, what was expected and the deciding rule', () => {
  const p = parseExpectations('allow weixin.qq.com\nblock qq.com\nblock kaspersky.com wechat', 'x.txt');
  const lines = runExpectations(store.current, p.expectations).map(formatFailure);
  assert.equal(lines.length, 3);
  assert.match(
    lines[0],
    /^x\.txt:1: expected allow weixin\.qq\.com .*actual: blocked by "weixin\.qq\.com" \(list wechat-core, wechat\/core, .*core\.txt:\d+\)/,
  );
  assert.match(lines[1], /^x\.txt:2: expected block qq\.com .*actual: allowed/);
  assert.match(lines[2], /^x\.txt:3: expected block wechat kaspersky\.com .*not wechat/);
});
