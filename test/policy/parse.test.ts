// List formats: detection, hosts files, adblock syntax with exceptions and modifiers, comments, and
// bad lines skipped and counted with their line numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseList, looksBroken } from '../../src/policy/parse/parse-list.ts';
import { detectFormat } from '../../src/policy/parse/detect.ts';
import { storeFor } from './policy-helpers.ts';

void test('formats are detected per file', () => {
  assert.equal(detectFormat('# x\nexample.com\nfoo.org\n'), 'domains');
  assert.equal(detectFormat('0.0.0.0 a.example\n127.0.0.1 b.example\n'), 'hosts');
  assert.equal(detectFormat('! title\n||a.example^\n'), 'adblock');
  assert.equal(detectFormat('[Adblock Plus 2.0]\na.example\n'), 'adblock');
});

void test('hosts files: every name after the address, loopback names skipped', async () => {
  const p = await parseList(
    '127.0.0.1 localhost\n0.0.0.0 a.example b.example # c\n:: c.example\n0.0.0.0\n',
    'auto',
  );
  assert.equal(p.format, 'hosts');
  assert.equal(p.names.count, 3);
  assert.equal(p.badCount, 0, JSON.stringify(p.badLines));
});

void test('adblock: ||, |, @@, regex, modifiers, cosmetic rules are bad lines', async () => {
  const text = [
    '[Adblock Plus 2.0]',
    '! comment',
    '||a.example^',
    '||b.example^$important',
    '|c.example^',
    '@@||ok.a.example^',
    '/^ads?\\./',
    'example.com##.banner',
    '||d.example^$third-party',
    '||e.example/path^',
  ].join('\n');
  const p = await parseList(text, 'auto');
  assert.equal(p.format, 'adblock');
  assert.equal(p.names.count, 4);
  assert.equal(p.regexes.length, 1);
  assert.deepEqual(
    p.badLines.map((b) => b.line),
    [8, 9, 10],
  );
});

void test('domains: comments, CRLF, BOM, bad lines counted with line numbers', async () => {
  const p = await parseList(
    '\ufeff# head\r\nok.example\r\n  \r\nbad..name\nexa mple.com\n-x-.ok\nfine.example # trailing\n/unterminated\n/[/\na.x\nb.x\nc.x\n',
    'domains',
  );
  assert.equal(p.names.count, 6);
  assert.deepEqual(
    p.badLines.map((b) => [b.line, b.reason]),
    [
      [4, 'not a valid domain name'],
      [5, 'more than one word on a domain line'],
      [8, 'a regular expression is /…/'],
      [9, p.badLines[3].reason],
    ],
  );
  assert.match(p.badLines[3].reason, /bad regular expression/);
  assert.ok(!looksBroken(p));
  assert.ok(looksBroken(await parseList('<html>\n<body>Not found</body>\n</html>\n', 'auto')));
});

void test('url and ip lines, bad ones reported', async () => {
  const p = await parseList(
    'url =dldir1.qq.com /weixin/\nurl dldir1.qq.com weixin/\nurl onlyhost\nip 1.2.3.4\nip 1.2.3.400\n1.2.3.0/24\nip 2402:4e00::/32\n',
    'domains',
  );
  assert.equal(p.urls.length, 1);
  assert.equal(p.ips.length, 3);
  assert.deepEqual(
    p.badLines.map((b) => b.line),
    [2, 3, 5],
  );
});

void test('a store reports every list with counts and bad lines', async () => {
  const { store } = await storeFor([{ name: 'l', text: 'a.example\nbad..x\nb.example\n' }]);
  const summary = store.current.lists()[0];
  assert.equal(summary.entries, 2);
  assert.equal(summary.badLines, 1);
  store.close();
});

void test('large lists parse in slices that yield to the event loop', async () => {
  const lines: string[] = [];
  for (let i = 0; i < 120_000; i++) lines.push(`n${i}.example`);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const p = await parseList(lines.join('\n'), 'auto');
  clearInterval(timer);
  assert.equal(p.names.count, 120_000);
  assert.ok(ticks >= 1, 'the event loop ran during the parse');
});
