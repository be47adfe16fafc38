// The shipped lists and config, checked in-process against the fact sheet: each category of each app
// blocked, the .cn twin and the siblings blocked, shared parents and WeCom not. (The same names go
// through the real resolver with dig in test/dns/blocking/shipped-e2e.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { PolicyStore } from '../../src/policy/store.ts';
import { shippedStore } from './policy-helpers.ts';
import { MUST_BLOCK, MUST_NOT_BLOCK } from './fact-sheet-names.ts';

let store: PolicyStore;
before(async () => {
  store = await shippedStore();
});
after(() => store.close());

void test('the shipped lists load with no bad line and no error', () => {
  const lists = store.current.lists();
  assert.ok(lists.length >= 15);
  for (const l of lists) {
    assert.equal(l.badLines, 0, `${l.name} has bad lines`);
    assert.ok(l.entries > 0, `${l.name} is empty`);
  }
});

void test('names the fact sheet says to block are blocked, by the right app and category', () => {
  for (const [name, want] of Object.entries(MUST_BLOCK)) {
    const m = store.current.matchName(name, '127.0.0.1');
    assert.ok(m, `${name} must be blocked`);
    assert.equal(`${m.rule.app}/${m.rule.category}`, want, name);
  }
});

void test('shared parents, store hosts, WeCom and banwall’s own upstreams are not blocked', () => {
  for (const name of MUST_NOT_BLOCK) {
    assert.equal(store.current.matchName(name, '127.0.0.1'), null, `${name} must not be blocked`);
  }
});

void test('proxy URL rules of the shipped lists', () => {
  const p = store.current;
  const url = (u: string) => {
    const x = new URL(u);
    return p.matchUrl({ host: x.hostname, path: x.pathname, query: x.search.slice(1) }, '127.0.0.1');
  };
  assert.equal(url('http://dldir1.qq.com/weixin/Windows/WeChatSetup.exe')?.rule.app, 'wechat');
  assert.equal(url('http://dldir1.qq.com/qqfile/qq/QQ_Release.exe'), null);
  assert.ok(url('http://webcdn.m.qq.com/spcmgr/download/WeChat3.7.6.44.exe'));
  assert.equal(url('http://webcdn.m.qq.com/spcmgr/download/QQMusic.exe'), null);
  assert.equal(url('http://apps.apple.com/us/app/wechat/id414478124')?.rule.category, 'app-store');
  assert.equal(url('http://apps.apple.com/us/app/other/id4144781240'), null);
  assert.equal(
    url('http://apps.apple.com/ca/app/kaspersky-security-vpn/id1089969624')?.rule.app,
    'kaspersky',
  );
  assert.ok(url('http://play.google.com/store/apps/details?id=com.tencent.mm&hl=en'));
  assert.equal(url('http://play.google.com/store/apps/details?id=com.kms.free')?.rule.app, 'kaspersky');
  assert.equal(url('http://play.google.com/store/apps/details?id=org.mozilla.firefox'), null);
  assert.ok(url('http://apps.microsoft.com/detail/9nblggh4slx7'));
  assert.ok(url('http://appgallery.huawei.com/app/C5683'));
  assert.equal(url('http://appgallery.huawei.com/app/C56830'), null);
  assert.ok(url('http://43.130.30.240:8080/cgi-bin/micromsg-bin/newgetdns?uin=1'));
});

void test('IP rules of the shipped lists', () => {
  const p = store.current;
  assert.equal(p.matchIp('101.32.104.4', '127.0.0.1')?.rule.app, 'wechat');
  assert.equal(p.matchIp('119.29.29.29', '127.0.0.1')?.rule.category, 'bypass');
  assert.equal(p.matchIp('9.9.9.9', '127.0.0.1'), null, "banwall's own fallback upstream");
  assert.equal(p.matchIp('149.112.121.10', '127.0.0.1'), null);
  assert.equal(p.matchIp('192.0.2.1', '127.0.0.1'), null);
});

/** The proxy's view of a URL (plain HTTP or intercepted HTTPS). */
function urlMatch(u: string) {
  const x = new URL(u);
  return store.current.matchUrl(
    { host: x.hostname.replace(/^\[|\]$/g, ''), path: x.pathname, query: x.search.slice(1) },
    '127.0.0.1',
  );
}

void test('wechatapp.com, Web WeChat’s third host family, is blocked (issue 13, [B6][B7])', () => {
  for (const name of [
    'wechatapp.com',
    'web1.wechatapp.com',
    'webpush.wechatapp.com',
    'webpush1.wechatapp.com',
    'file1.wechatapp.com',
  ]) {
    const m = store.current.matchName(name, '127.0.0.1');
    assert.equal(m && `${m.rule.app}/${m.rule.category}`, 'wechat/core', name);
  }
  assert.equal(store.current.matchName('notwechatapp.com', '127.0.0.1'), null);
});

void test('WeCom’s login and JS-SDK CDN wwcdn.weixin.qq.com resolves and its scripts pass the proxy ([B19])', () => {
  const p = store.current;
  assert.equal(p.matchName('wwcdn.weixin.qq.com', '127.0.0.1'), null);
  assert.equal(urlMatch('http://wwcdn.weixin.qq.com/node/wework/wwopen/js/wwLogin-1.2.7.js'), null);
  assert.equal(urlMatch('http://wwcdn.weixin.qq.com/node/open/js/wecom-jssdk-2.3.3.js'), null);
  // The allow is exact: WeChat's own names beside and under it stay blocked.
  assert.ok(p.matchName('x.wwcdn.weixin.qq.com', '127.0.0.1'));
  assert.ok(p.matchName('res.weixin.qq.com', '127.0.0.1'));
  assert.ok(urlMatch('http://weixin.qq.com/cgi-bin/readtemplate?t=weixin_faq_list'));
});

void test('package-manager downloads of WeChat are refused, their shared hosts are not ([B1]-[B5])', () => {
  const block = (u: string, category = 'download') => {
    const m = urlMatch(u);
    assert.equal(m && `${m.rule.app}/${m.rule.category}`, `wechat/${category}`, u);
  };
  const pass = (u: string) => assert.equal(urlMatch(u), null, u);
  // Scoop Extras (4.x) and the 3.x archive: GitHub release assets of mirror repositories.
  block('http://github.com/cscnk52/wechat-windows-versions/releases/download/v4.1.9.57/weixin_4.1.9.57.exe');
  block('http://github.com/CSCNK52/Wechat-Windows-Versions/releases/latest');
  block(
    'http://github.com/tom-snow/wechat-windows-versions/releases/download/v3.9.5.81/WeChatSetup-3.9.5.81.exe',
  );
  block('http://raw.githubusercontent.com/ScoopInstaller/Extras/master/bucket/wechat.json');
  pass('http://github.com/cscnk52/other-project/releases/download/v1/x.exe');
  pass('http://github.com/ScoopInstaller/Extras/releases');
  pass('http://raw.githubusercontent.com/ScoopInstaller/Extras/master/bucket/wechatdevtools.json');
  for (const host of [
    'github.com',
    'objects.githubusercontent.com',
    'release-assets.githubusercontent.com',
    'web.archive.org',
    'community.chocolatey.org',
    'dl.flathub.org',
    'flathub.org',
  ]) {
    assert.equal(store.current.matchName(host, '127.0.0.1'), null, `${host} is shared: never blocked whole`);
  }
  // winget and Homebrew fetch from Tencent's own paths (already listed).
  block('http://dldir1v6.qq.com/weixin/Universal/Windows/WeChatWin.exe');
  block('http://webcdn.m.qq.com/spcmgr/download/WeChat3.7.6.44.exe');
  block('http://dl.softmgr.qq.com/original/im/WeChatSetup_3.2.1.154.exe');
  block('http://dldir1.qq.com/weixin/Windows/WeChat_C1018.exe');
  pass('http://dl.softmgr.qq.com/original/im/QQ9.7.1.28940.exe');
  block('http://dldir1.qq.com/weixin/Universal/Mac/xWeChatMac_universal_4.1.10.53_39917.dmg');
  // Flathub com.tencent.WeChat: the flatpakref, the listing and the extra-data payload URLs.
  block('http://dl.flathub.org/repo/appstream/com.tencent.WeChat.flatpakref');
  pass('http://dl.flathub.org/repo/appstream/org.mozilla.firefox.flatpakref');
  block(
    'http://web.archive.org/web/20241107205050if_/https://dldir1v6.qq.com/weixin/Universal/Linux/WeChatLinux_x86_64.deb',
  );
  pass('http://web.archive.org/web/2024/https://dldir1.qq.com/qqfile/qq/QQ_Release.exe');
  block(
    'http://archive2.kylinos.cn/deb/kylin/production/PART-openKylin/custom/partner/openKylin/pool/all/wechat-beta_1.0.0.238_amd64.deb',
  );
  block('http://flathub.org/apps/com.tencent.WeChat', 'app-store');
  // Chocolatey `wechat`: the nupkg and the listing, not other packages.
  block('http://community.chocolatey.org/api/v2/package/wechat/3.9.12.51');
  block('http://community.chocolatey.org/packages/WeChat', 'app-store');
  pass('http://community.chocolatey.org/api/v2/package/wechatdevtools/1.0.5');
  pass('http://community.chocolatey.org/packages/wecom');
});

const RESOLVER_NAMES = [
  'dns.google',
  'dns64.dns.google',
  'cloudflare-dns.com',
  'mozilla.cloudflare-dns.com',
  'one.one.one.one',
  'doh.opendns.com',
  'dns.adguard-dns.com',
  'abc123.d.adguard-dns.com',
  'dns.nextdns.io',
  'doh.cleanbrowsing.org',
  'family-filter-dns.cleanbrowsing.org',
  'dns.mullvad.net',
  'adblock.dns.mullvad.net',
  'doh.mullvad.net',
  'dns.controld.com',
  'p2.freedns.controld.com',
  'dns10.quad9.net',
  'dns.alidns.com',
];
const RESOLVER_ADDRESSES = [
  '8.8.8.8',
  '8.8.4.4',
  '2001:4860:4860::8888',
  '1.1.1.1',
  '1.0.0.1',
  '2606:4700:4700::1111',
  '9.9.9.10',
  '208.67.222.222',
  '94.140.14.14',
  '2a10:50c0::ad1:ff',
  '185.228.168.9',
  '194.242.2.2',
  '76.76.2.11',
  '2606:1a40::22',
  '223.5.5.5',
];

void test('public DoH/DoT/DoQ resolvers: names and addresses are blocked as bypass (issue 16 item 3)', () => {
  const p = store.current;
  for (const name of RESOLVER_NAMES) {
    const m = p.matchName(name, '127.0.0.1');
    assert.equal(m && `${m.rule.app}/${m.rule.category}`, 'bypass/bypass', name);
  }
  for (const ip of RESOLVER_ADDRESSES) {
    assert.equal(p.matchIp(ip, '127.0.0.1')?.rule.category, 'bypass', ip);
    // An absolute-form request to the literal is judged by the same IP rules (CONNECT uses matchIp).
    assert.ok(urlMatch(`http://${ip.includes(':') ? `[${ip}]` : ip}/dns-query`), `http://${ip}/dns-query`);
  }
  // Neighbours of a listed address are not listed.
  assert.equal(p.matchIp('8.8.8.9', '127.0.0.1'), null);
  assert.equal(p.matchIp('76.76.3.1', '127.0.0.1'), null);
});

void test('every entry of every shipped list carries a source ID, inline or in the heading above it', async () => {
  const { readFile, readdir } = await import('node:fs/promises');
  const { ROOT } = await import('../helpers/banwall.ts');
  const ID = /\[[SB]\d+[a-z]?\]/;
  const dir = path.join(ROOT, 'blocklists');
  let checked = 0;
  for (const app of await readdir(dir, { withFileTypes: true })) {
    if (!app.isDirectory()) continue;
    for (const file of await readdir(path.join(dir, app.name))) {
      if (!file.endsWith('.txt')) continue;
      let heading = false; // a comment line with an ID covers the entries under it, up to a blank line
      for (const line of (await readFile(path.join(dir, app.name, file), 'utf8')).split('\n')) {
        if (line.trim() === '') heading = false;
        else if (line.startsWith('#')) heading = heading || ID.test(line);
        else {
          assert.ok(ID.test(line) || heading, `${app.name}/${file}: no source ID for "${line}"`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 300, `${checked} entries checked`);
});

void test("banwall's own upstreams (dns.upstreams of the shipped config) are matched by no list", async () => {
  const { loadConfig } = await import('../../src/config/load.ts');
  const { parseUpstreamUrl } = await import('../../src/dns/upstream/upstream-url.ts');
  const { ROOT } = await import('../helpers/banwall.ts');
  const cfg = (await loadConfig(`${ROOT}/config/banwall.yaml`)).config;
  const p = store.current;
  assert.ok(cfg.dns.upstreams.length >= 4);
  for (const url of cfg.dns.upstreams) {
    const u = parseUpstreamUrl(url);
    assert.ok(typeof u !== 'string', url);
    assert.equal(p.matchIp(u.host, '127.0.0.1'), null, `${u.host} (${url})`);
    assert.equal(urlMatch(`http://${u.host}/dns-query`), null, `proxy to ${u.host}`);
    if (u.servername !== '') assert.equal(p.matchName(u.servername, '127.0.0.1'), null, u.servername);
  }
  // The same services' other addresses and names are left alone too (the lists name none of them).
  for (const ip of ['2620:fe::fe', '2620:fe::9', '149.112.112.112'])
    assert.equal(p.matchIp(ip, '127.0.0.1'), null, ip);
  assert.equal(p.matchName('dns9.quad9.net', '127.0.0.1'), null);
});
