// The compiled matcher: label boundaries, exact and subdomain-only forms, allow over block, client
// groups by CIDR, URL rules (path prefixes, right-anchored store IDs, exact query values after
// decoding), IP/CIDR rules, and the explain output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storeFor } from './policy-helpers.ts';

const C = '127.0.0.1';

void test('suffix entries match on a label boundary only', async () => {
  const { store } = await storeFor([{ name: 'w', text: 'weixin.qq.com\nwx.qq.com\n' }]);
  const p = store.current;
  const blocked = (n: string) => p.matchName(n, C) !== null;
  assert.ok(blocked('weixin.qq.com'));
  assert.ok(blocked('long.weixin.qq.com'));
  assert.ok(blocked('a.b.weixin.qq.com'));
  assert.ok(blocked('LONG.Weixin.QQ.com'), 'case-insensitive');
  assert.ok(blocked('weixin.qq.com.'), 'trailing dot');
  assert.ok(!blocked('xweixin.qq.com'));
  assert.ok(!blocked('weixin.qq.com.cn'), '.cn twin needs its own entry');
  assert.ok(!blocked('qq.com'));
  assert.ok(!blocked('mail.qq.com'));
  assert.ok(!blocked('wx2.qq.com'), 'siblings are not children');
  assert.ok(!blocked('weixin110.qq.com'));
  assert.ok(!blocked(''));
  store.close();
});

void test('exact (=name, |name^) and subdomain-only (*.name) forms', async () => {
  const { store } = await storeFor([
    { name: 'd', text: '=exact.example\n*.sub.example\n' },
    { name: 'a', text: '|adb.example^\n||suf.example^\n', format: 'adblock' },
  ]);
  const p = store.current;
  assert.ok(p.matchName('exact.example', C));
  assert.equal(p.matchName('a.exact.example', C), null);
  assert.equal(p.matchName('sub.example', C), null);
  assert.ok(p.matchName('x.sub.example', C));
  assert.ok(p.matchName('adb.example', C));
  assert.equal(p.matchName('x.adb.example', C), null);
  assert.ok(p.matchName('x.suf.example', C));
  store.close();
});

void test('an allow entry wins over any block, in its own list (@@) or an allow source', async () => {
  const { store } = await storeFor(
    [
      { name: 'w', text: 'weixin.qq.com\n@@=open.weixin.qq.com\n' },
      { name: 'a', text: '||example.org^\n@@||ok.example.org^\n', format: 'adblock' },
    ],
    { allow: [{ name: 'wecom', entries: ['=qyapi.weixin.qq.com', 'work.weixin.qq.com'] }] },
  );
  const p = store.current;
  assert.equal(p.matchName('qyapi.weixin.qq.com', C), null);
  assert.ok(p.matchName('x.qyapi.weixin.qq.com', C), 'the exact allow does not cover subdomains');
  assert.equal(p.matchName('work.weixin.qq.com', C), null);
  assert.equal(p.matchName('a.work.weixin.qq.com', C), null);
  assert.equal(p.matchName('open.weixin.qq.com', C), null);
  assert.ok(p.matchName('long.weixin.qq.com', C));
  assert.equal(p.matchName('a.ok.example.org', C), null);
  assert.ok(p.matchName('example.org', C));
  const e = p.explain('qyapi.weixin.qq.com', C);
  assert.equal(e.blocked, false);
  assert.equal(e.blockRules[0].rule, 'weixin.qq.com');
  assert.equal(e.allowRules[0].rule, '=qyapi.weixin.qq.com');
  store.close();
});

void test('the most specific rule decides and names its list, file and line', async () => {
  const { store } = await storeFor([
    { name: 'core', text: '# c\nweixin.qq.com\n' },
    { name: 'tele', category: 'telemetry', text: '\n\nlong.weixin.qq.com  # [S12] H\n' },
  ]);
  const m = store.current.matchName('long.weixin.qq.com', C)!;
  assert.equal(m.rule.list, 'tele');
  assert.equal(m.rule.category, 'telemetry');
  assert.equal(m.rule.line, 3);
  assert.equal(m.rule.rule, 'long.weixin.qq.com');
  assert.equal(m.group, 'default');
  assert.equal(store.current.matchName('long.weixin.qq.com', C), m, 'repeated blocks reuse the match');
  const e = store.current.explain('long.weixin.qq.com', C);
  assert.equal(e.decidingRule?.list, 'tele');
  assert.deepEqual(
    e.blockRules.map((r) => `${r.list}:${r.line}`),
    ['tele:3', 'core:2'],
  );
  store.close();
});

void test('client groups by CIDR: the most specific group wins, default for everyone else', async () => {
  const { store } = await storeFor(
    [
      { name: 'wechat', text: 'wechat.com\n' },
      { name: 'kaspersky', app: 'kaspersky', text: 'kaspersky-labs.com\n' },
    ],
    {
      groups: [
        { name: 'default', lists: ['wechat', 'kaspersky'] },
        { name: 'mail', clients: ['10.0.0.0/8'], lists: ['wechat'] },
        { name: 'lab', clients: ['10.1.0.0/16', '2001:db8::/32'], lists: [] },
      ],
    },
  );
  const p = store.current;
  assert.equal(p.groupOf('192.0.2.1'), 'default');
  assert.equal(p.groupOf('10.2.3.4'), 'mail');
  assert.equal(p.groupOf('10.1.3.4'), 'lab');
  assert.equal(p.groupOf('2001:db8::5'), 'lab');
  assert.equal(p.groupOf('::ffff:10.2.3.4'), 'mail');
  assert.ok(p.matchName('mx12.kaspersky-labs.com', '192.0.2.1'));
  assert.equal(p.matchName('mx12.kaspersky-labs.com', '10.2.3.4'), null);
  assert.equal(p.matchName('mx12.kaspersky-labs.com', '10.2.3.4'), null);
  assert.ok(p.matchName('wechat.com', '10.2.3.4'));
  assert.equal(p.matchName('wechat.com', '10.1.0.1'), null);
  assert.equal(p.matchName('wechat.com', '10.2.3.4')?.group, 'mail');
  store.close();
});

void test('URL rules: path prefixes, right-anchored IDs, exact query values after decoding', async () => {
  const { store } = await storeFor([
    {
      name: 'u',
      category: 'app-store',
      text: [
        'url =dldir1.qq.com /weixin/',
        'url apps.apple.com /**/id414478124|',
        'url play.google.com /store/apps/details ?id=com.tencent.mm',
        'url apps.microsoft.com /detail/9NBLGGH4SLX7| nocase',
        'url * /cgi-bin/micromsg-bin/newgetdns',
      ].join('\n'),
    },
  ]);
  const p = store.current;
  const url = (host: string, path: string, query = '') => p.matchUrl({ host, path, query }, C) !== null;
  assert.ok(url('dldir1.qq.com', '/weixin/android/weixin8023android2160_arm64_1.apk'));
  assert.ok(url('dldir1.qq.com', '/%77eixin/Windows/WeChatSetup.exe'), 'percent-decoded path');
  assert.ok(!url('dldir1.qq.com', '/qqfile/qq/QQ_Release.exe'));
  assert.ok(!url('x.dldir1.qq.com', '/weixin/a'), '=host is exact');
  assert.ok(url('apps.apple.com', '/us/app/wechat/id414478124'));
  assert.ok(url('apps.apple.com', '/app/id414478124'));
  assert.ok(url('apps.apple.com', '/cn/app/%E5%BE%AE%E4%BF%A1/id414478124/'));
  assert.ok(!url('apps.apple.com', '/us/app/other/id4144781240'), 'right anchor');
  assert.ok(!url('apps.apple.com', '/us/app/other/id284882215'));
  assert.ok(url('play.google.com', '/store/apps/details', 'id=com.tencent.mm&hl=en'));
  assert.ok(url('play.google.com', '/store/apps/details', 'hl=en&id=com%2Etencent%2Emm'));
  assert.ok(!url('play.google.com', '/store/apps/details', 'id=com.tencent.mmx'), 'exact value');
  assert.ok(!url('play.google.com', '/store/apps/details', 'id=com.tencent.mm.other'));
  assert.ok(!url('play.google.com', '/store/apps/details', 'xid=com.tencent.mm'));
  assert.ok(!url('play.google.com', '/store/apps/details', 'id=org.mozilla.firefox'));
  assert.ok(url('apps.microsoft.com', '/detail/9nblggh4slx7'));
  assert.ok(!url('apps.microsoft.com', '/detail/9NBLGGH4SLX78'));
  assert.ok(url('sgshort.example', '/cgi-bin/micromsg-bin/newgetdns', 'uin=1'));
  const m = p.matchUrl({ host: 'apps.apple.com', path: '/app/id414478124', query: '' }, C)!;
  assert.equal(m.rule.line, 2);
  assert.equal(m.rule.category, 'app-store');
  store.close();
});

void test('IP and CIDR rules, IPv4 and IPv6, and the proxy host check for IP literals', async () => {
  const { store } = await storeFor([
    { name: 'ips', text: 'ip 101.32.118.25\n10.9.0.0/16\nip 2402:4e00::\n@@ip 10.9.9.9\nip 2001:db8::/32\n' },
  ]);
  const p = store.current;
  assert.ok(p.matchIp('101.32.118.25', C));
  assert.equal(p.matchIp('101.32.118.26', C), null);
  assert.ok(p.matchIp('10.9.200.1', C));
  assert.equal(p.matchIp('10.9.9.9', C), null, 'exception');
  assert.ok(p.matchIp('2402:4e00::', C));
  assert.ok(p.matchIp('2001:db8:1::7', C));
  assert.ok(p.matchIp('::ffff:101.32.118.25', C));
  assert.equal(p.matchIp('not-an-ip', C), null);
  assert.ok(p.matchUrl({ host: '101.32.118.25', path: '/', query: '' }, C));
  assert.ok(p.matchUrl({ host: '[2402:4e00::]', path: '/', query: '' }, C));
  assert.equal(p.ipRules().length, 4);
  store.close();
});

void test('regular expressions', async () => {
  const { store } = await storeFor([{ name: 'r', text: '/^ad[0-9]+\\.example\\.com$/\n' }]);
  assert.ok(store.current.matchName('ad12.example.com', C));
  assert.equal(store.current.matchName('adx.example.com', C), null);
  store.close();
});
