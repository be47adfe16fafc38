// List formats: detection, hosts files, adblock syntax with exceptions and modifiers, comments, and
// bad lines skipped and counted with their line numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { looksBroken } from '../../src/policy/parse/parse-list.ts';
import { parseList } from '../../src/policy/parse/list-bytes.ts';
import { detectFormat } from '../../src/policy/parse/detect.ts';
import { storeFor } from './policy-helpers.ts';

type Parsed = Awaited<ReturnType<typeof parseList>>;

/** What `parseList` kept, counted by kind, and the line numbers of the bad lines; unnamed: not checked. */
function assertParsed(
  p: Parsed,
  want: {
    format?: string;
    names?: number;
    regexes?: number;
    urls?: number;
    ips?: number;
    badLines?: number[];
  },
): void {
  if (want.format !== undefined) assert.equal(p.format, want.format);
  if (want.names !== undefined) assert.equal(p.names.count, want.names, 'names');
  if (want.regexes !== undefined) assert.equal(p.regexes.length, want.regexes, 'regexes');
  if (want.urls !== undefined) assert.equal(p.urls.length, want.urls, 'urls');
  if (want.ips !== undefined) assert.equal(p.ips.length, want.ips, 'ips');
  if (want.badLines !== undefined) {
    assert.deepEqual(
      p.badLines.map((b) => b.line),
      want.badLines,
      'bad lines',
    );
  }
}

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
  assertParsed(p, { format: 'hosts', names: 3 });
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
  assertParsed(await parseList(text, 'auto'), {
    format: 'adblock',
    names: 4,
    regexes: 1,
    badLines: [8, 9, 10],
  });
});

void test('domains: comments, CRLF, BOM, bad lines counted with line numbers', async () => {
  const p = await parseList(
    '\ufeff# head\r\nok.example\r\n  \r\nbad..name\nexa mple.com\n-x-.ok\nfine.example # trailing\n/unterminated\n/[/\na.x\nb.x\nc.x\n',
    'domains',
  );
  assertParsed(p, { names: 6 });
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
  assertParsed(p, { urls: 1, ips: 3, badLines: [2, 3, 5] });
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
  assertParsed(p, { names: 120_000 });
  assert.ok(ticks >= 1, 'the event loop ran during the parse');
});
