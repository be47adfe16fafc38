// Issue 12.1 against a real `banwall serve` with the shipped lists: encoded slashes, encoded dot
// segments, backslashes and `;` path parameters must not carry a banned download past the URL rules.
// Each request is sent by the real curl with --path-as-is (curl would otherwise resolve `..` itself)
// through the proxy to a loopback origin; a bypass shows as the origin's 200.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { aRecords, startProxiedBanwall, type ProxiedBanwall } from './banwall-proxy.ts';
import { shippedPolicy, startHttpOrigin, type Origin } from './fixtures.ts';
import { curl } from '../helpers/curl.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('curl');

let stack: ProxiedBanwall;
let origin: Origin;

before(async () => {
  origin = await startHttpOrigin();
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-url-bypass-'));
  stack = await startProxiedBanwall({
    dir,
    zone: aRecords(['dldir1.qq.com', 'dldir1v6.qq.com', 'allowed.test']),
    config: await shippedPolicy(dir),
    closeWith: [origin],
  });
});

after(async () => {
  await stack?.close();
});

const get = (url: string) => curl(['--path-as-is', '-x', stack.proxyUrl, url]);

void test(
  'encoded slashes and dot segments do not bypass URL rules (the attacks of issue 12.1)',
  { skip: TOOLS_SKIP },
  async () => {
    const o = `:${origin.port}`;
    const attacks = [
      // The examples: the installer, the Mac update feed, the IPv6 CDN, the any-host rule.
      `http://dldir1.qq.com${o}/%2Fweixin/WeChatSetup.exe`,
      `http://dldir1.qq.com${o}/foo%2F..%2Fweixin/WeChatSetup.exe`,
      `http://dldir1.qq.com${o}/foo/%2e%2e%2fweixin/WeChatSetup.exe`,
      `http://dldir1.qq.com${o}/%2F%2Fweixin/WeChatSetup.exe`,
      `http://dldir1.qq.com${o}/%2Fweixin/mac/mac-release.xml`,
      `http://dldir1.qq.com${o}/weixin%2Fmac%2F.%2Fmac-release.xml`,
      `http://dldir1v6.qq.com${o}/%2Fweixin/Windows/WeChatSetup.exe`,
      `http://dldir1v6.qq.com${o}/x/..%2F%2Fweixin%2Fcheckresupdate/r.zip`,
      `http://allowed.test${o}/%2Fcgi-bin/micromsg-bin/newgetdns`,
      `http://allowed.test${o}/cgi-bin%2F%2E%2E%2Fcgi-bin/micromsg-bin/newgetdns`,
      // The same class: double encoding, upper-case escapes, IIS backslashes, Tomcat path parameters.
      `http://dldir1.qq.com${o}/%252Fweixin/WeChatSetup.exe`,
      `http://dldir1.qq.com${o}/a%252F..%252Fweixin/WeChatSetup.exe`,
      `http://dldir1.qq.com${o}/%2E%2E/%2E/weixin/WeChatSetup.exe`,
      `http://dldir1.qq.com${o}/weixin%5CWeChatSetup.exe`,
      `http://dldir1.qq.com${o}/x%5C..%5Cweixin%5CWeChatSetup.exe`,
      `http://dldir1.qq.com${o}/weixin;jsessionid=1/WeChatSetup.exe`,
      `http://dldir1.qq.com${o}/x/..;/weixin/WeChatSetup.exe`,
      `http://allowed.test${o}/cgi-bin;x/micromsg-bin/newgetdns`,
    ];
    const before = origin.seen.length;
    const bypassed: string[] = [];
    for (const url of attacks) {
      const r = await get(url);
      if (r.status !== 403 || !/X-Banwall-Block: wechat\//i.test(r.headers))
        bypassed.push(`${r.status} ${url}`);
    }
    assert.deepEqual(bypassed, [], 'every encoding of a blocked path is refused');
    assert.equal(origin.seen.length, before, 'the origin saw none of them');
  },
);

void test(
  'malformed escapes and encoded NUL are refused with 400, never guessed',
  { skip: TOOLS_SKIP },
  async () => {
    const o = `:${origin.port}`;
    for (const url of [
      `http://dldir1.qq.com${o}/%zzweixin/WeChatSetup.exe`,
      `http://dldir1.qq.com${o}/weixin%/WeChatSetup.exe`,
      `http://dldir1.qq.com${o}/qqfile/x.exe%00.txt`,
      `http://dldir1.qq.com${o}/%2500/x`,
      `http://dldir1.qq.com${o}/%25252525252Fweixin/x`,
    ]) {
      const r = await get(url);
      assert.equal(r.status, 400, url);
      assert.match(r.body, /malformed/, url);
    }
  },
);

void test(
  'allowed paths still pass, and the origin gets the path as sent (an encoded slash is not rewritten)',
  { skip: TOOLS_SKIP },
  async () => {
    const o = `:${origin.port}`;
    const plain = await get(`http://dldir1.qq.com${o}/qqfile/qq/QQ9.7.exe`);
    assert.equal(plain.status, 200);
    const encoded = await get(`http://dldir1.qq.com${o}/qqfile%2Fqq%2FQQ9.7.exe?x=%2F`);
    assert.equal(encoded.status, 200);
    assert.equal((JSON.parse(encoded.body) as { url: string }).url, '/qqfile%2Fqq%2FQQ9.7.exe?x=%2F');
    const parameter = await get(`http://allowed.test${o}/page;v=1/weixin%20story`);
    assert.equal(parameter.status, 200);
  },
);
