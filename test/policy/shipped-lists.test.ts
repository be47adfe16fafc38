// The shipped lists and config, checked in-process against the fact sheet: each category of each app
// blocked, the .cn twin and the siblings blocked, shared parents and WeCom not. (The same names go
// through the real resolver with dig in test/blocking/shipped-e2e.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
