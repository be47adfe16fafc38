// Rules that block (or allow) a whole TLD or everything are refused with file:line unless the list
// says `allowBroad: true` (issue 12 item 5, per rule); keyword lines without their arguments are bad
// lines, never names (issue 13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '../../src/log.ts';
import { PolicyStore, type PolicyLoadError } from '../../src/policy/store.ts';
import { parseList } from '../../src/policy/parse/list-bytes.ts';
import { loaded, policyConfig, storeFor, tempDir } from './policy-helpers.ts';

const BROAD = [
  'com',
  '*.cn',
  'co.uk',
  '@@org',
  '/./',
  '/.*/',
  '/^.+$/',
  '/\\.cn$/',
  '/\\.shop$/',
  '/^www\\./',
  '/[0-9a-z]/',
  'ip 0.0.0.0/0',
  'ip ::/0',
  '0.0.0.0/1',
  'ip 2000::/3',
  'url * /',
  'url * /**',
  'url com /*',
];

const TARGETED = [
  '=com',
  'qq.com',
  'weixin.qq.com',
  'example.co.uk',
  '/^ad[0-9]+\\.example\\./',
  '/(^|\\.)weixin\\.qq\\.com$/',
  '/weixin/',
  '/wechat\\.[a-z]+$/',
  'ip 10.0.0.0/8',
  'ip 2001:db8::/32',
  'url * /cgi-bin/micromsg-bin/newgetdns',
  'url * /**/WeChatSetup.exe|',
  'url com / ?id=1',
];

async function loadOne(text: string, extra: Record<string, unknown> = {}, format = 'domains') {
  const dir = await tempDir();
  const cfg = await policyConfig(dir, [{ name: 'l', text, format }]);
  (cfg.lists as Record<string, unknown>[])[0] = { ...(cfg.lists as object[])[0], ...extra };
  const store = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  try {
    await store.load(loaded(dir, cfg));
    return { store, dir, errors: [] as readonly string[] };
  } catch (err) {
    return { store, dir, errors: (err as PolicyLoadError).problems };
  } finally {
    store.close();
  }
}

void test('each rule that covers a whole TLD or everything is refused with file:line', async () => {
  for (const [i, rule] of BROAD.entries()) {
    const { dir, errors } = await loadOne(`fine.example\n${rule}\n`);
    assert.equal(errors.length, 1, `${rule} should be refused: ${JSON.stringify(errors)}`);
    assert.ok(errors[0].startsWith(`${path.join(dir, 'l.txt')}:2: `), errors[0]);
    assert.match(errors[0], /(blocks|allows) (every|unrelated|more than)/, `${i}: ${errors[0]}`);
    assert.match(errors[0], /allowBroad: true` on lists\[0\] \(l\)/);
  }
});

void test('targeted rules pass, and allowBroad: true accepts broad ones', async () => {
  const ok = await loadOne(TARGETED.join('\n'));
  assert.deepEqual(ok.errors, []);
  const confirmed = await loadOne(BROAD.join('\n'), { allowBroad: true });
  assert.deepEqual(confirmed.errors, []);
  assert.ok(confirmed.store.current.matchName('anything.com', '127.0.0.1'), 'and they then apply');
});

void test('adblock and hosts forms, and allow sources, are judged alike', async () => {
  const adb = await loadOne('||ok.example^\n||com^\n@@||net^\n', {}, 'adblock');
  assert.equal(adb.errors.length, 2, JSON.stringify(adb.errors));
  const hosts = await loadOne('0.0.0.0 ok.example\n0.0.0.0 cn\n', {}, 'hosts');
  assert.equal(hosts.errors.length, 1, JSON.stringify(hosts.errors));
  assert.match(hosts.errors[0], /:2: "cn" blocks every name under "\.cn"/);
  const dir = await tempDir();
  const cfg = await policyConfig(dir, [{ name: 'l', text: 'weixin.qq.com\n' }], {
    allow: [{ name: 'everything', entries: ['/./'] }],
  });
  const store = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  await assert.rejects(store.load(loaded(dir, cfg)), (err: PolicyLoadError) => {
    assert.match(err.problems.join('\n'), /#allow\[0\]\.entries:1: "\/\.\/" allows every name \(/);
    assert.match(err.problems.join('\n'), /on allow\[0\] \(everything\)/);
    return true;
  });
  store.close();
});

void test('a refused reload keeps the previous policy serving', async () => {
  const { store } = await storeFor([{ name: 'l', text: 'weixin.qq.com\n' }]);
  const before = store.current;
  const dir = await tempDir();
  await assert.rejects(store.load(loaded(dir, await policyConfig(dir, [{ name: 'l', text: 'com\n' }]))));
  assert.equal(store.current, before);
  assert.equal(store.current.matchName('example.com', '127.0.0.1'), null);
  store.close();
});

void test('keyword lines without their arguments are bad lines, never names', async () => {
  const text = ['url', 'ip', 'URL', '@@url', '@@ip', 'Ip', 'url   ', 'ip # comment', 'urls.example'].join(
    '\n',
  );
  for (const format of ['domains', 'hosts', 'adblock'] as const) {
    const p = await parseList(text, format);
    assert.equal(p.names.count, 1, `${format}: only urls.example is a name`);
    assert.deepEqual(
      p.badLines.map((b) => b.line),
      [1, 2, 3, 4, 5, 6, 7, 8],
      `${format}: ${JSON.stringify(p.badLines)}`,
    );
    for (const b of p.badLines) assert.match(b.reason, /an? (url|ip) rule is `/, `${format} ${b.text}`);
  }
});

void test('the compiled copy of a big list keeps its broad rules: a restart refuses it too', async () => {
  const dir = await tempDir();
  const lines = Array.from({ length: 60_000 }, (_, i) => `n${i}.example`);
  lines.push('cn', '/^www\\./', 'ip ::/0');
  const cfg = await policyConfig(dir, [{ name: 'big', text: lines.join('\n') }]);
  const problems: string[][] = [];
  for (let run = 0; run < 2; run++) {
    const store = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
    await assert.rejects(store.load(loaded(dir, cfg)), (err: PolicyLoadError) => {
      problems.push([...err.problems]);
      return true;
    });
    store.close();
    if (run === 0) assert.equal((await readdir(path.join(dir, 'var/lists/compiled'))).length, 1);
  }
  assert.deepEqual(problems[1], problems[0], 'the same three refusals from the compiled copy');
  assert.deepEqual(
    problems[0].map((p) => /:(\d+): /.exec(p)?.[1]),
    ['60001', '60002', '60003'],
  );
});
