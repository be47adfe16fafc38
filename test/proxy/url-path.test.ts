// The URL path decisions of issue 12.1 (src/policy/match/url-path.ts, table in src/proxy/README.md),
// one row each, and the URL rule matcher seeing them through decodePath.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseUrlPath, windowsUrlPath } from '../../src/policy/match/url-path.ts';
import {
  decodePath,
  parseUrlRule,
  urlRuleMatches,
  type UrlRuleSpec,
} from '../../src/policy/match/url-rule.ts';

void test('decoded (%2F and %2E too), merged, dot-resolved, until stable', () => {
  const cases: [string, string | null][] = [
    ['/weixin/WeChatSetup.exe', '/weixin/WeChatSetup.exe'],
    ['/%2Fweixin/WeChatSetup.exe', '/weixin/WeChatSetup.exe'],
    ['/foo%2F..%2Fweixin/x', '/weixin/x'],
    ['/foo/%2e%2e%2fweixin/x', '/weixin/x'],
    ['/%2F%2Fweixin/x', '/weixin/x'],
    ['/%77eixin/x', '/weixin/x'],
    ['/a/b/..', '/a/'],
    ['/a/./b/.', '/a/b/'],
    ['/..', '/'],
    ['/../../weixin', '/weixin'],
    ['/%252Fweixin', '/weixin'],
    ['/a%252F..%252Fweixin', '/weixin'],
    ['/100%25.txt', '/100%.txt'],
    ['/%C3%A9t%C3%A9', '/été'],
    ['/%FF%fe/x', '/%FF%FE/x'],
    ['/.well-known/x', '/.well-known/x'],
    ['/%zz', null],
    ['/a%', null],
    ['/a%4', null],
    ['/x%00.txt', null],
    ['/%2500', null],
    ['/%25252525252F', null],
  ];
  for (const [input, expected] of cases) assert.equal(normaliseUrlPath(input), expected, input);
});

void test('the IIS/Tomcat view: \\ is /, ;params dropped, then resolved again', () => {
  assert.equal(windowsUrlPath('/weixin/WeChatSetup.exe'), null);
  assert.equal(windowsUrlPath('/weixin\\WeChatSetup.exe'), '/weixin/WeChatSetup.exe');
  assert.equal(windowsUrlPath('/x\\..\\weixin'), '/weixin');
  assert.equal(windowsUrlPath('/weixin;jsessionid=1/x'), '/weixin/x');
  assert.equal(windowsUrlPath('/x/..;/weixin'), '/weixin');
  assert.equal(normaliseUrlPath('/x%5C..%5Cweixin'), '/x\\..\\weixin', 'nginx keeps \\ literal');
});

void test('URL rules match the normalised path (decodePath), the plain path without allocation', () => {
  const rule = parseUrlRule(['=dldir1.qq.com', '/weixin/']) as UrlRuleSpec;
  for (const p of ['/%2Fweixin/x', '/foo%2F..%2Fweixin/x', '/a/%2e%2e/weixin/x', '/%252Fweixin/x']) {
    assert.ok(urlRuleMatches(rule, decodePath(p), ''), p);
  }
  assert.ok(!urlRuleMatches(rule, decodePath('/qqfile%2Fweixin'), ''));
  const plain = '/weixin/WeChatSetup.exe';
  assert.equal(decodePath(plain), plain);
  assert.equal(decodePath('/%zz'), '/%zz', 'malformed: matched as sent (the proxy refuses it first)');
});
