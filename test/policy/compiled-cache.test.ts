// A big local list is kept on disk in compiled form; a restart with the file unchanged reads it back
// and matches exactly as the parsed list did (names, exceptions, URL/IP/regex rules, bad lines).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { PolicyStore } from '../../src/policy/store.ts';
import { createLogger } from '../../src/log.ts';
import { loaded, policyConfig, tempDir } from './policy-helpers.ts';

void test('a restart reads the compiled copy and decides the same', async () => {
  const dir = await tempDir();
  const lines = [
    '# big',
    '=exact.example',
    '@@ok.blocked.example',
    'blocked.example',
    'url =dl.example /weixin/',
    'ip 192.0.2.7',
    '/^re[0-9]+\\.example$/',
    'bad..line',
  ];
  for (let i = 0; i < 60_000; i++) lines.push(`n${i}.example`);
  const config = await policyConfig(dir, [{ name: 'big', text: lines.join('\n') }]);
  const check = (store: PolicyStore) => {
    const p = store.current;
    assert.ok(p.matchName('x.n59999.example', '127.0.0.1'));
    assert.equal(p.matchName('n60000.example', '127.0.0.1'), null);
    assert.ok(p.matchName('exact.example', '127.0.0.1'));
    assert.equal(p.matchName('a.exact.example', '127.0.0.1'), null);
    assert.equal(p.matchName('ok.blocked.example', '127.0.0.1'), null);
    assert.equal(p.matchName('x.blocked.example', '127.0.0.1')?.rule.line, 4);
    assert.ok(p.matchName('re12.example', '127.0.0.1'));
    assert.ok(p.matchIp('192.0.2.7', '127.0.0.1'));
    assert.ok(p.matchUrl({ host: 'dl.example', path: '/weixin/a', query: '' }, '127.0.0.1'));
    const l = p.lists()[0];
    assert.equal(l.badLines, 1);
    assert.equal(l.entries, 60_006);
  };
  const first = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  await first.load(loaded(dir, config));
  check(first);
  first.close();
  const files = await readdir(path.join(dir, 'var/lists/compiled'));
  assert.equal(files.length, 1);

  const second = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  const report = await second.load(loaded(dir, config));
  assert.equal(report.lists[0].badLines[0].line, 8);
  check(second);
  second.close();

  // A changed file is parsed again (and gets a new compiled copy).
  await writeFile(path.join(dir, 'big.txt'), `${lines.join('\n')}\nnew.example\n`);
  const third = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  await third.load(loaded(dir, config));
  assert.ok(third.current.matchName('new.example', '127.0.0.1'));
  third.close();
});

void test('the compiled copy is whole when the load resolves; a failed write only warns', async () => {
  const dir = await tempDir();
  const lines = Array.from({ length: 60_000 }, (_, i) => `c${i}.copy.example`);
  const config = await policyConfig(dir, [{ name: 'big', text: lines.join('\n') }]);
  const first = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  await first.load(loaded(dir, config));
  first.close();
  // No temporary file left beside the copy.
  assert.deepEqual(
    (await readdir(path.join(dir, 'var/lists/compiled'))).filter((f) => !f.endsWith('.bin')),
    [],
  );

  // A cache dir where `compiled` is a file, not a directory: the copy cannot be written.
  const other = await tempDir();
  const config2 = await policyConfig(other, [{ name: 'big', text: lines.join('\n') }]);
  await mkdir(path.join(other, 'var/lists'), { recursive: true });
  await writeFile(path.join(other, 'var/lists/compiled'), 'not a directory');
  const warned: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n'))
        if (l) warned.push(String((JSON.parse(l) as { msg: string }).msg));
      done();
    },
  });
  const second = new PolicyStore(pino({ level: 'warn' }, sink), { watch: false, refresh: false });
  await second.load(loaded(other, config2));
  assert.ok(second.current.matchName('x.c59999.copy.example', '127.0.0.1'));
  assert.ok(warned.includes('cannot keep a compiled copy of the list'), warned.join(', '));
  second.close();
});
