// Regex rules run on RE2, in time linear in the name whatever the pattern (issue 12 item 4); the
// JavaScript syntax lists are written in is translated where RE2 differs, and what RE2 cannot
// express is a bad line with its line number and a reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseList } from '../../src/policy/parse/list-bytes.ts';
import { compileNameRegex, type LinearRegex } from '../../src/policy/match/name-regex.ts';
import { RegexRuleSet } from '../../src/policy/match/regex-set.ts';
import { parseUrlRule, urlRuleMatches, type UrlRuleSpec } from '../../src/policy/match/url-rule.ts';
import { storeFor } from './policy-helpers.ts';

const C = '127.0.0.1';

void test('a catastrophic pattern costs microseconds on the name that froze V8 for 19 s', async () => {
  const { store } = await storeFor([
    { name: 'evil', text: '/^(a+)+$/\n/^(a|a)*$/\n/(x+x+)+y/\n@@/^(b+)+$/\nweixin.qq.com\n' },
  ]);
  const p = store.current;
  for (const len of [33, 64, 253]) {
    const name = `${'a'.repeat(len - 1)}!`;
    const t = performance.now();
    for (let i = 0; i < 100; i++) assert.equal(p.matchName(name, C), null);
    const ms = performance.now() - t;
    assert.ok(ms < 1000, `100 lookups of a ${len}-character name took ${ms.toFixed(1)} ms`);
  }
  assert.ok(p.matchName('aaaa', C), 'the pattern still matches what it says');
  assert.ok(p.matchName(`${'x'.repeat(60)}y`, C));
  assert.equal(p.explain(`${'b'.repeat(60)}!`, C).blocked, false);
  store.close();
});

void test('JavaScript regex syntax is translated where RE2 differs', () => {
  const ok = (body: string, yes: string[], no: string[]) => {
    const re = compileNameRegex(body);
    assert.notEqual(typeof re, 'string', `${body}: ${String(re)}`);
    if (typeof re === 'string') return;
    for (const s of yes) assert.ok(re.test(s), `${body} should match ${s}`);
    for (const s of no) assert.ok(!re.test(s), `${body} should not match ${s}`);
  };
  ok('^ad[0-9]+\\.example\\.', ['ad12.example.com', 'AD1.EXAMPLE.org'], ['xad1.example.com']);
  ok('(?<host>weixin)\\.qq\\.com$', ['weixin.qq.com'], ['weixin.qq.com.cn']);
  ok('\\u0077eixin', ['weixin.qq.com'], ['eixin.qq.com']);
  ok('^\\d+-\\w+\\.\\-cdn\\/?', ['12-ab.-cdn'], ['ab-12.-cdn']);
  ok('[^]x$', ['ax'], ['x']);
  ok('[\\]a]b', ['ab', ']b'], ['cb']);
});

void test('what RE2 cannot run in linear time, or would read differently, is a bad line', async () => {
  const lines = [
    'good.example',
    '/(?=x)weixin/',
    '/(?<!x)weixin/',
    '/(a)\\1/',
    '/(?<n>a)\\k<n>/',
    '/weixin\\z/',
    '/a{1001}/',
    '/[]x/',
    '@@/(?!a)b/',
  ];
  const p = await parseList(lines.join('\n'), 'domains');
  assert.equal(p.regexes.length, 0);
  assert.deepEqual(
    p.badLines.map((b) => b.line),
    [2, 3, 4, 5, 6, 7, 8, 9],
  );
  const reasons = p.badLines.map((b) => b.reason).join('\n');
  assert.match(reasons, /lookahead/);
  assert.match(reasons, /lookbehind/);
  assert.match(reasons, /backreference "\\1"/);
  assert.match(reasons, /named backreference/);
  assert.match(reasons, /"\\z" is not an escape/);
  assert.match(reasons, /bad regular expression \(RE2 syntax\): .*repeat count/);
  assert.match(reasons, /"\[\]" matches nothing/);
  const adb = await parseList('||a.example^\n/(?=x)y/$important\n@@/(a)\\1/\n', 'adblock');
  assert.deepEqual(
    adb.badLines.map((b) => b.line),
    [2, 3],
  );
});

void test('URL path globs run on RE2 too: many ** cost linear time, and ** crosses a decoded newline', () => {
  const spec = parseUrlRule(['*', `${'/**'.repeat(12)}/x.exe|`]) as UrlRuleSpec;
  const path = `${'/a'.repeat(2000)}/y.exe`;
  const t = performance.now();
  for (let i = 0; i < 20; i++) assert.equal(urlRuleMatches(spec, path, ''), false);
  assert.ok(performance.now() - t < 1000, 'twenty lookups of a 4 kB path under a 12-** pattern');
  assert.ok(urlRuleMatches(spec, '/a/b/x.exe', ''));
  const exe = parseUrlRule(['dl.example', '/**/*.exe|']) as UrlRuleSpec;
  assert.ok(urlRuleMatches(exe, '/a\n/b/setup.exe', ''), 'a %0A in the path does not end **');
  const odd = parseUrlRule(['dl.example', '/dir (1)/[x]+ü.exe']) as UrlRuleSpec;
  assert.ok(urlRuleMatches(odd, '/dir (1)/[x]+ü.exe', ''), 'every other character is literal');
  assert.ok(!urlRuleMatches(odd, '/dir (1)/[x]ü.exe', ''));
  const nocase = parseUrlRule(['store.example', '/detail/9NBLGGH4NNS1', 'nocase']) as UrlRuleSpec;
  assert.ok(urlRuleMatches(nocase, '/DETAIL/9nblggh4nns1', ''));
});

void test('many regex rules: one automaton finds exactly the rules each test would, in bounded time', async () => {
  const bodies = Array.from({ length: 400 }, (_, i) => `^ad${i}[0-9]*\\.tracker${i % 17}\\.(com|net)$`);
  bodies.push('weixin', '^(a+)+$', '\\.cn$', 'qq\\.com$');
  const rules = bodies.map((b) => compileNameRegex(b) as LinearRegex);
  const set = new RegexRuleSet(rules);
  const names = [
    'ad7.tracker7.com',
    'AD399123.tracker8.net',
    'ad7.tracker8.com',
    'x.weixin.qq.com',
    'aaaa',
    'a.cn',
  ];
  for (const n of names) {
    const expected = rules.flatMap((r, i) => (r.test(n) ? [i] : []));
    assert.deepEqual(
      [...set.match(n)].sort((x, y) => x - y),
      expected,
      n,
    );
  }
  const t = performance.now();
  const p = await parseList(bodies.map((b) => `/${b}/`).join('\n'), 'domains');
  assert.ok(performance.now() - t < 5000, 'judging 404 regexes for breadth is quick');
  assert.deepEqual(
    p.broad.map((b) => [b.line, b.reason]),
    [[403, 'blocks every name under ".cn" (tried on probe names)']],
  );
});

void test('differential: translated RE2 agrees with JavaScript RegExp on list-style patterns', () => {
  const patterns = [
    '^ad[0-9]+\\.example\\.',
    '(^|\\.)weixin\\.qq\\.com$',
    '^(www\\.)?wechat\\.(com|cn)$',
    '\\.qpic\\.cn$',
    '^[a-z0-9-]{1,10}\\.tracker\\.',
    '^(?:ads?|track(ing)?|metrics)[0-9]*\\.',
    '^\\d+\\.\\d+\\.\\d+\\.\\d+$',
    '\\bcdn\\b',
    '^[^.]+\\.kaspersky(-labs)?\\.com$',
    '^(?<sub>[a-z]+)\\.(?<dom>example)\\.org$',
    '\\u0071q\\.com$',
    '^x[\\w-]*y$',
    'a{2,3}b',
    '[^a-z.]',
    '^.{5,}$',
    '(?:.*\\.)?dns\\.weixin\\.qq\\.com$',
    '^[\\s\\S]*kas',
    '^wx[^]?\\.',
  ];
  const alphabet = 'abcdkqwxyz019-._';
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const names = [
    'ad1.example.com',
    'AD22.EXAMPLE.NET',
    'weixin.qq.com',
    'long.weixin.qq.com',
    'xweixin.qq.com',
    'wechat.cn',
    'www.wechat.com',
    'a.qpic.cn',
    'metrics7.x.y',
    'tracking.example',
    '10.0.0.1',
    'my-cdn.example',
    'mycdn.example',
    'ksn.kaspersky-labs.com',
    'a.b.kaspersky.com',
    'foo.example.org',
    'qq.com',
    'x-_y',
    'aab',
    'aaab',
    'dns.weixin.qq.com',
    'wx1.b',
    'wx.b',
  ];
  for (let i = 0; i < 400; i++) {
    const len = 1 + Math.floor(rnd() * 24);
    names.push(Array.from({ length: len }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join(''));
  }
  for (const body of patterns) {
    const re2 = compileNameRegex(body);
    assert.notEqual(typeof re2, 'string', `${body}: ${String(re2)}`);
    if (typeof re2 === 'string') continue;
    const js = new RegExp(body, 'i');
    for (const n of names) assert.equal(re2.test(n), js.test(n), `${body} on ${JSON.stringify(n)}`);
  }
});
