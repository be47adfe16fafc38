// Enforcement (matchName, matchIp, matchUrl) and `explain` must never disagree (issue 12 item 10,
// issue 18 item 2): every rule form, in every list kind and client group, through both, for names
// that hit each rule, its subdomains, its neighbours, and the exceptions over it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BlockMatch, Explanation, PolicySnapshot, UrlTarget } from '../../src/policy/snapshot.ts';
import { storeFor } from './policy-helpers.ts';

const DOMAINS = [
  'weixin.qq.com',
  '@@/^weixin\\.qq\\.com$/',
  '=exact.example',
  '*.subonly.example',
  'suffix.example',
  '@@=open.suffix.example',
  '@@keep.suffix.example',
  '/^ad[0-9]+\\.regex\\.example$/',
  '@@/^ad7\\./',
  'ip 203.0.113.0/24',
  '@@ip 203.0.113.7',
  'ip 2001:db8:1::/48',
  '198.51.100.9',
  'url dl.example /files/**/*.exe|',
  'url =store.example /**/id123|',
  'url * /cgi-bin/newgetdns',
  '@@url dl.example /files/ok/**',
  'url host.example /get ?id=42',
].join('\n');

const ADBLOCK = [
  '||adb.example^',
  '|adbexact.example^',
  '@@||fine.adb.example^',
  '/^track[0-9]*\\.adb2\\.example$/',
  '@@/^track9\\./',
  '||both.example^$important',
].join('\n');

const HOSTS = '0.0.0.0 hosted.example other.hosted.example\n:: v6hosted.example\n';

const NAMES = [
  'weixin.qq.com',
  'WEIXIN.QQ.COM.',
  'long.weixin.qq.com',
  'qq.com',
  'exact.example',
  'a.exact.example',
  'subonly.example',
  'x.subonly.example',
  'suffix.example',
  'open.suffix.example',
  'a.open.suffix.example',
  'keep.suffix.example',
  'a.keep.suffix.example',
  'ad1.regex.example',
  'ad7.regex.example',
  'ad1.regex.example.',
  'adx.regex.example',
  'adb.example',
  'x.adb.example',
  'fine.adb.example',
  'adbexact.example',
  'x.adbexact.example',
  'track1.adb2.example',
  'track9.adb2.example',
  'both.example',
  'hosted.example',
  'other.hosted.example',
  'v6hosted.example',
  'allowed-src.example',
  'x.allowed-src.example',
  'grouped.example',
  'nothing.example',
  '',
];

const IPS = ['203.0.113.1', '203.0.113.7', '203.0.114.1', '2001:db8:1::5', '2001:db8:2::5', '198.51.100.9'];

const URLS: UrlTarget[] = [
  { host: 'dl.example', path: '/files/a/b/setup.exe', query: '' },
  { host: 'dl.example', path: '/files/ok/setup.exe', query: '' },
  { host: 'cdn.dl.example', path: '/files/setup.exe', query: '' },
  { host: 'dl.example', path: '/files/setup.exe.txt', query: '' },
  { host: 'store.example', path: '/us/app/id123', query: '' },
  { host: 'x.store.example', path: '/us/app/id123', query: '' },
  { host: 'any.example', path: '/cgi-bin/newgetdns', query: '' },
  { host: 'host.example', path: '/get', query: 'id=42' },
  { host: 'host.example', path: '/get', query: 'id=421' },
  { host: 'weixin.qq.com', path: '/cgi-bin/newgetdns', query: '' },
  { host: 'long.weixin.qq.com', path: '/', query: '' },
  { host: '203.0.113.1', path: '/x', query: '' },
  { host: '203.0.113.7', path: '/x', query: '' },
  { host: '[2001:db8:1::5]', path: '/x', query: '' },
  { host: 'fine.adb.example', path: '/cgi-bin/newgetdns', query: '' },
  { host: 'dl.example', path: '/files/free/setup.exe', query: '' },
];

const CLIENTS = ['127.0.0.1', '10.9.0.5', '10.8.0.5'];

function same(kind: string, enforced: BlockMatch | null, e: Explanation): void {
  const what = `${kind} ${e.name} from ${e.client}`;
  assert.equal(e.blocked, enforced !== null, `${what}: explain says ${e.blocked ? 'BLOCKED' : 'ALLOWED'}`);
  if (enforced === null) {
    assert.equal(e.decidingRule, undefined, what);
    return;
  }
  const d = e.decidingRule!;
  assert.deepEqual(
    [d.list, d.line, d.rule, d.action.kind],
    [enforced.rule.list, enforced.rule.line, enforced.rule.rule, enforced.rule.action.kind],
    what,
  );
  assert.equal(e.group, enforced.group, what);
  assert.ok(
    e.blockRules.some((r) => r.list === d.list && r.line === d.line),
    `${what}: the deciding rule is among the block rules`,
  );
  if (e.allowRules.length > 0) assert.fail(`${what}: blocked although allow rules matched`);
}

async function policy(): Promise<PolicySnapshot> {
  const { store } = await storeFor(
    [
      { name: 'dom', text: DOMAINS },
      { name: 'adb', text: ADBLOCK, format: 'adblock', action: 'refused' },
      { name: 'hst', text: HOSTS, format: 'hosts' },
      { name: 'grp', text: 'grouped.example\nallowed-src.example\n', category: 'telemetry' },
    ],
    {
      allow: [
        { name: 'src', entries: ['=allowed-src.example', '/^track1\\./', 'url dl.example /files/free/**'] },
      ],
      groups: [
        { name: 'default', lists: ['dom', 'adb', 'hst', 'grp'] },
        { name: 'lab', clients: ['10.9.0.0/16'], lists: ['dom', 'hst'], allow: [] },
        { name: 'kiosk', clients: ['10.8.0.0/16'], lists: ['grp', 'adb'] },
      ],
    },
  );
  store.close();
  return store.current;
}

void test('every name: matchName and explain give the same decision and deciding rule', async () => {
  const p = await policy();
  let blocked = 0;
  for (const client of CLIENTS) {
    for (const name of NAMES) {
      const m = p.matchName(name, client);
      if (m) blocked++;
      same('name', m, p.explain(name, client));
    }
  }
  assert.ok(blocked > 20, `the table exercises blocks too (${blocked})`);
});

void test('every address: matchIp and explain give the same decision', async () => {
  const p = await policy();
  for (const client of CLIENTS)
    for (const ip of IPS) same('ip', p.matchIp(ip, client), p.explain(ip, client));
});

void test('every URL: matchUrl and explain(host, client, target) give the same decision', async () => {
  const p = await policy();
  for (const client of CLIENTS) {
    for (const t of URLS) same('url', p.matchUrl(t, client), p.explain(t.host, client, t));
  }
});

void test('an allow regex overrides a name block, in DNS and in explain alike', async () => {
  const p = await policy();
  assert.equal(p.matchName('weixin.qq.com', '127.0.0.1'), null, 'the allow regex wins');
  const e = p.explain('weixin.qq.com', '127.0.0.1');
  assert.equal(e.blocked, false);
  assert.deepEqual(
    e.allowRules.map((r) => r.rule),
    ['@@/^weixin\\.qq\\.com$/'],
  );
  assert.deepEqual(
    e.blockRules.map((r) => r.rule),
    ['weixin.qq.com'],
  );
  assert.ok(p.matchName('long.weixin.qq.com', '127.0.0.1'), 'the regex is anchored: subdomains stay blocked');
  assert.ok(p.matchName('ad1.regex.example.', '127.0.0.1'), 'regexes ignore the trailing dot as names do');
  assert.equal(p.matchName('ad7.regex.example', '127.0.0.1'), null);
  assert.equal(p.matchName('track1.adb2.example', '127.0.0.1'), null, 'a regex in an allow source');
  assert.ok(p.matchName('track2.adb2.example', '127.0.0.1'));
  assert.equal(
    p.matchUrl({ host: 'weixin.qq.com', path: '/cgi-bin/newgetdns', query: '' }, '127.0.0.1'),
    null,
    'a host exception covers its URL rules too, as a name exception does',
  );
});

void test('explain lists every rule it passed, the deciding one first', async () => {
  const p = await policy();
  const e = p.explain('a.open.suffix.example', '127.0.0.1');
  assert.equal(e.blocked, true, 'the exact exception does not cover a subdomain');
  assert.deepEqual(
    e.blockRules.map((r) => r.rule),
    ['suffix.example'],
  );
  const open = p.explain('open.suffix.example', '127.0.0.1');
  assert.deepEqual(
    [open.blocked, open.allowRules.map((r) => r.rule), open.blockRules.map((r) => r.rule)],
    [false, ['@@=open.suffix.example'], ['suffix.example']],
  );
  const hit = p.explain('x.keep.suffix.example', '127.0.0.1');
  assert.deepEqual(
    hit.allowRules.map((r) => r.rule),
    ['@@keep.suffix.example'],
  );
  const b = p.explain('Long.Weixin.QQ.com.', '127.0.0.1');
  assert.equal(b.decidingRule?.rule, 'weixin.qq.com', 'rule text without the query’s case or dot');
  assert.equal(p.matchName('Long.Weixin.QQ.com.', '127.0.0.1')?.rule.rule, 'weixin.qq.com');
});
