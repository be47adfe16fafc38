// A list file parsed from its bytes (src/policy/parse/list-bytes.ts) gives exactly what the text
// parser gives on the file's text read as before (UTF-8 decoded 1 MiB at a time, whole lines): every
// format, comments, CRLF, BOM, names that take the byte fast path and every line that does not, bad
// lines with their numbers, chunk boundaries, long lines, invalid UTF-8, and random files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatOf, PARSERS, type LineParser, type ListFormat } from '../../src/policy/parse/parse-list.ts';
import { parseList, parseListBytes, parseListFile } from '../../src/policy/parse/list-bytes.ts';
import { ParsedList } from '../../src/policy/parse/parsed-list.ts';
import { tempDir } from './policy-helpers.ts';

/** The text path as list-file.ts read files before: chunks of whole lines, 1 MiB at a time. */
async function* textLines(file: string): AsyncGenerator<string> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let carry = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = carry + chunk;
    const nl = text.lastIndexOf('\n');
    if (nl < 0) {
      carry = text;
      continue;
    }
    carry = text.slice(nl + 1);
    yield text.slice(0, nl + 1);
  }
  if (carry !== '') yield carry;
}

/**
 * The oracle: the text parser as it was before the byte path (parse-list.ts's `parseListChunks`),
 * over chunks of whole lines of decoded text, an indexOf per line, every line given to its parser.
 */
async function parseListChunks(
  chunks: Iterable<string> | AsyncIterable<string>,
  format: ListFormat,
): Promise<ParsedList> {
  const out = new ParsedList();
  let parseLine: LineParser | null = null;
  let adblock = false;
  let lineNo = 0;
  let first = true;
  for await (const text of chunks) {
    if (parseLine === null) {
      out.format = formatOf(format, () => text);
      parseLine = PARSERS[out.format];
      adblock = out.format === 'adblock';
    }
    let pos = first && text.charCodeAt(0) === 0xfeff ? 1 : 0;
    first = false;
    const len = text.length;
    while (pos < len) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = len;
      lineNo++;
      let s = pos;
      let e = nl;
      pos = nl + 1;
      while (s < e && isSpace(text.charCodeAt(s))) s++;
      if (s === e) continue;
      const c = text.charCodeAt(s);
      if (c === 35) continue; // '#' comment
      // Trailing comment: ' #' (adblock uses '#' inside cosmetic rules, reported by its parser).
      if (!adblock) {
        for (let i = s; i < e; i++) {
          if (text.charCodeAt(i) === 35) {
            e = i;
            break;
          }
        }
      }
      while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
      if (s === e) continue;
      out.ruleLines++;
      const special = out.regexes.length + out.urls.length + out.ips.length;
      parseLine(out, text, s, e, lineNo);
      if (out.regexes.length + out.urls.length + out.ips.length !== special) {
        out.specialLines.push({ line: lineNo, text: text.slice(s, e) });
      }
    }
  }
  out.finish();
  return out;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/** Everything a ParsedList holds, as plain data. */
function contents(p: ParsedList) {
  const n = p.names.count;
  const rule = <T>(r: { value: T; allow: boolean; line: number; text: string }) => [r.allow, r.line, r.text];
  return {
    format: p.format,
    ruleLines: p.ruleLines,
    badCount: p.badCount,
    badLines: p.badLines,
    specialLines: p.specialLines,
    broad: p.broad,
    entries: p.entries,
    regexes: p.regexes.map(rule),
    urls: p.urls.map(rule),
    ips: p.ips.map(rule),
    names: {
      count: n,
      hi: [...p.names.hi.subarray(0, n)],
      lo: [...p.names.lo.subarray(0, n)],
      line: [...p.names.line.subarray(0, n)],
      flags: [...p.names.flags.subarray(0, n)],
    },
  };
}

let files = 0;
/** A file parsed from its bytes as from its text; a remote list's bytes as its text (`parseList`). */
async function assertSame(dir: string, bytes: Buffer | string, format: ListFormat, what: string) {
  const raw = Buffer.from(bytes);
  const whole = contents(await parseListChunks([raw.toString('utf8')], format));
  assert.deepEqual(contents(await parseListBytes(raw, format)), whole, `${what} (${format}, bytes)`);
  assert.deepEqual(
    contents(await parseList(raw.toString('utf8'), format)),
    whole,
    `${what} (${format}, text)`,
  );
  const file = path.join(dir, `list-${files++}.txt`);
  await writeFile(file, bytes);
  const want = contents(await parseListChunks(textLines(file), format));
  assert.deepEqual(contents(await parseListFile(file, format)), want, `${what} (${format})`);
  assert.deepEqual(contents(await parseListFile(file, format, true)), want, `${what} (${format}, blocking)`);
}

const FORMATS: readonly ListFormat[] = ['auto', 'domains', 'rules', 'hosts', 'adblock'];

const LINES = [
  'weixin.qq.com',
  'Long.WeiXin.QQ.com.',
  'AZ.UPPER-CASE.Example.COM',
  'a.b.c.d.e.f.example',
  '  spaced.example.com  ',
  '\ttabbed.example.com\t',
  'crlf.example.com\r',
  'trailing.example.com # comment',
  'trailing.example.com#nospace',
  '# whole comment',
  '   # indented comment',
  '',
  '   ',
  'qq.com',
  'com',
  'co.uk',
  'one.co.uk',
  '=exact.example.com',
  '*.sub.example.com',
  '@@allowed.example.com',
  '@@||allowed.example^',
  '||adblock.example.com^',
  '|exact.adblock.example^',
  '||ad.example^$important',
  '! adblock comment',
  'example.com##.banner',
  '[Adblock Plus 2.0]',
  '/^ad[0-9]+\\.example\\./',
  '@@/^ok\\./',
  '/(?=x)/',
  '0.0.0.0 hosts.example.com other.example.org',
  '0.0.0.0 one.hosts.example',
  '127.0.0.1  Two.Hosts.example.',
  '0.0.0.0\tthree.hosts.example',
  '0.0.0.0 qq.com',
  '0.0.0.0 co.uk',
  '0.0.0.0 9.digit.example',
  '0.0.0.0 bad..hosts.example',
  '0.0.0.00 not.an.address.example',
  '0.0.0.0x.y.z',
  '127.0.0.1 localhost.localdomain',
  '0.0.0.0 local',
  '::1 ipv6.loopback.example',
  '||three.label.example^',
  '@@||allowed.three.example^',
  '||Upper.Case.Example^',
  '||two.example^',
  '||co.uk^',
  '@@||com.cn^',
  '||1.2.3.4^',
  '||-dash.start.example^',
  '||a.b.c^|',
  '||a.b.c^$important',
  '||a.b.c^$third-party',
  '||a.b.c',
  '||a..b.c^',
  '@@|exact.allow.example^',
  '@@a.b.c',
  '|||x.y.z^',
  '127.0.0.1\tlocalhost',
  '0.0.0.0 0.0.0.0',
  ':: ipv6.hosts.example',
  '0.0.0.0',
  '192.0.2.7',
  '10.0.0.0/8',
  'ip 192.0.2.8',
  'ip',
  'URL',
  'url =dl.example /weixin/',
  'url * /',
  'bad..name.example',
  '-dash.start.example',
  '_under.score.example',
  'under_score.label_.example',
  'x'.repeat(64) + '.too.long.example',
  `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`,
  `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`,
  'two words.example.com',
  'bücher.example.de',
  'xn--bcher-kva.example.de',
  'emoji.😀.example',
  'dot.at.end..',
  '.leading.dot.example',
  'semi;colon.example.com',
  '9digit.first.example',
  '1.2.3.4.5.example',
];

void test('every kind of line, in every format, as the text parser reads it', async () => {
  const dir = await tempDir();
  for (const format of FORMATS) {
    await assertSame(dir, LINES.join('\n'), format, 'all lines');
    await assertSame(dir, LINES.join('\r\n') + '\r\n', format, 'CRLF');
    await assertSame(dir, '\ufeff' + LINES.join('\n'), format, 'BOM');
    for (const line of LINES) await assertSame(dir, `${line}\nnext.line.example\n`, format, line);
  }
});

void test('empty files, no final newline, invalid UTF-8, a BOM alone', async () => {
  const dir = await tempDir();
  const cases: [string, Buffer | string][] = [
    ['empty', ''],
    ['one newline', '\n'],
    ['no final newline', 'a.example.com\nb.example.com'],
    ['BOM alone', '\ufeff'],
    ['partial BOM', Buffer.from([0xef, 0xbb])],
    [
      'invalid UTF-8',
      Buffer.from('ok.example.com\n\xff\xfe.example.com\nx.\xe4\n\xe4\ny.example.com\n', 'latin1'),
    ],
    ['UTF-8 in a comment', 'a.example.com # ümlaut\nb.example.com\n'],
    ['NUL bytes', 'a.exa\0mple.com\nb.example.com\n'],
  ];
  for (const format of FORMATS) for (const [what, bytes] of cases) await assertSame(dir, bytes, format, what);
});

void test('lines across 1 MiB chunks, and a line longer than a chunk', async () => {
  const dir = await tempDir();
  const names = Array.from({ length: 120_000 }, (_, i) =>
    i % 1000 === 0 ? `=e${i}.x.test` : `n${i}.d${i % 97}.test`,
  );
  await assertSame(dir, names.join('\n'), 'auto', 'many names');
  await assertSame(dir, names.join('\r\n'), 'domains', 'many names, CRLF');
  const long = `${'x'.repeat(3 << 20)}.example.com`;
  await assertSame(dir, `a.example.com\n${long}\nb.example.com\n`, 'domains', 'a 3 MiB line');
  // Format detection sees the first chunk of a file, the first 500 meaningful lines of a remote list:
  // hosts lines only after 1 MiB of long lines, or after 1.5 MiB of comments.
  const wide = Array.from({ length: 20 }, (_, i) => `w${i}.${'y'.repeat(60_000)}.test`);
  const hosts = Array.from({ length: 600 }, (_, i) => `0.0.0.0 h${i}.example.com`);
  await assertSame(dir, [...wide, ...hosts].join('\n'), 'auto', 'detect after long lines');
  const comments = Array.from({ length: 30_000 }, (_, i) => `# ${'c'.repeat(50)} ${i}`);
  await assertSame(dir, [...comments, ...hosts].join('\n'), 'auto', 'detect after comments');
});

void test('random files of random lines decide as the text parser does', async () => {
  const dir = await tempDir();
  let seed = 17;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const pieces = [
    'a',
    'A',
    'Z',
    'B',
    '0',
    '9',
    '-',
    '_',
    '.',
    '.',
    'com',
    'qq',
    ' ',
    '\t',
    '#',
    '@@',
    '*.',
    '=',
    '|',
    '^',
    '/',
    'é',
    '\r',
    'ip ',
    'url ',
  ];
  for (let f = 0; f < 40; f++) {
    const lines: string[] = [];
    for (let l = 0; l < 200; l++) {
      if (rnd(3) === 0) {
        lines.push(LINES[rnd(LINES.length)]);
        continue;
      }
      let line = '';
      const len = 1 + rnd(12);
      for (let k = 0; k < len; k++) line += pieces[rnd(pieces.length)];
      lines.push(line);
    }
    await assertSame(dir, lines.join('\n'), FORMATS[f % FORMATS.length], `random file ${f}`);
  }
});
