// The proxy with real clients (curl -x, undici ProxyAgent, raw sockets and node:tls) against a local
// HTTP origin and a local TLS origin, with a fake policy and a fake resolver chain (the end-to-end
// test with the real policy and resolver is e2e.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ProxyAgent, request } from 'undici';
import {
  fakeChain,
  fakePolicy,
  makeCert,
  rawExchange,
  rule,
  startHttpOrigin,
  startProxy,
  startTlsOrigin,
  waitFor,
  type Origin,
  type RunningProxy,
} from './fixtures.ts';
import { curl } from '../helpers/curl.ts';
import { assertBlocked, tunnelHandshake } from './proxy-clients.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('curl', 'openssl');

const WECHAT_CORE = rule('wechat', 'core', 'weixin.qq.com');
const WECHAT_DL = rule('wechat', 'download', 'dldir1.qq.com/weixin/');
const WECHAT_STORE = rule('wechat', 'app-store', 'play.google.com id=com.tencent.mm');
const WECHAT_IOS = rule('wechat', 'app-store', 'apps.apple.com id414478124');
const WECHAT_IP = rule('wechat', 'core', '127.0.0.2/32');
const CLOAK = rule('wechat', 'telemetry', 'cloak-target.weixin.qq.com');

const policy = fakePolicy({
  names: { 'weixin.qq.com': WECHAT_CORE, 'blocked.test': WECHAT_CORE },
  ips: { '127.0.0.2': WECHAT_IP },
  urls: [
    { host: 'dldir1.qq.com', pathPrefix: '/weixin/', rule: WECHAT_DL },
    {
      host: 'play.google.com',
      pathPrefix: '/store/apps/details',
      param: ['id', 'com.tencent.mm'],
      rule: WECHAT_STORE,
    },
    {
      host: 'apps.apple.com',
      pathPattern: /^\/(?:[a-z]{2}\/)?app\/(?:[^/]+\/)?id414478124(?:\/|$)/,
      rule: WECHAT_IOS,
    },
  ],
});

const names = [
  'allowed.test',
  'dldir1.qq.com',
  'play.google.com',
  'apps.apple.com',
  'cloaked.test',
  'slow.test',
];
const zone: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, ['127.0.0.1']]));
zone['v6only.test'] = ['::1'];
const chain = fakeChain(zone, { 'cloaked.test': { rule: CLOAK, group: 'default' } });

let origin: Origin;
let tlsOrigin: Origin & { servernames: (string | false | null)[] };
let proxy: RunningProxy;

before(async () => {
  if (TOOLS_SKIP) return; // every test here skips
  origin = await startHttpOrigin();
  tlsOrigin = await startTlsOrigin(await makeCert(['allowed.test', 'blocked.test', '127.0.0.1']));
  proxy = await startProxy({ connectPorts: [443, tlsOrigin.port] }, policy, chain);
});

after(async () => {
  if (TOOLS_SKIP) return;
  await proxy.stop();
  await origin.close();
  await tlsOrigin.close();
});

const at = (host: string, path = '/') => `http://${host}:${origin.port}${path}`;

void describe('plain HTTP', { skip: TOOLS_SKIP }, () => {
  void test(
    'an allowed request goes through with hop-by-hop headers removed and Via added',
    { skip: TOOLS_SKIP },
    async () => {
      const r = await curl([
        '-x',
        proxy.url,
        '-H',
        'Proxy-Authorization: Basic c2VjcmV0OnNlY3JldA==',
        '-H',
        'Connection: keep-alive, X-Private',
        '-H',
        'X-Private: drop me',
        '-H',
        'X-Kept: yes',
        at('allowed.test', '/hello?x=1'),
      ]);
      assert.equal(r.status, 200, r.headers);
      const seen = JSON.parse(r.body) as { url: string; headers: Record<string, string> };
      assert.equal(seen.url, '/hello?x=1');
      assert.equal(seen.headers.host, `allowed.test:${origin.port}`);
      assert.match(seen.headers.via, /^1\.1 banwall-[0-9a-f]+$/);
      assert.equal(seen.headers['proxy-authorization'], undefined);
      assert.equal(seen.headers['proxy-connection'], undefined);
      assert.equal(seen.headers['x-private'], undefined);
      assert.equal(seen.headers['x-kept'], 'yes');
      assert.match(r.headers, /^via: 1\.1 banwall-/im);
      // The name was resolved through the chain, as the proxy's client, never by the system.
      assert.ok(
        chain.queries.some(
          (q) => q.name === 'allowed.test' && q.protocol === 'internal' && q.client === '127.0.0.1',
        ),
      );
    },
  );

  void test(
    'undici ProxyAgent: an allowed request goes through and keeps its connection',
    { skip: TOOLS_SKIP },
    async () => {
      const agent = new ProxyAgent(proxy.url);
      try {
        for (let i = 0; i < 3; i++) {
          const res = await request(at('allowed.test', `/u${i}`), { dispatcher: agent });
          assert.equal(res.statusCode, 200);
          const body = (await res.body.json()) as { url: string };
          assert.equal(body.url, `/u${i}`);
        }
      } finally {
        await agent.close();
      }
    },
  );

  void test(
    'request bodies go through: Content-Length, chunked and Expect: 100-continue',
    { skip: TOOLS_SKIP },
    async () => {
      const fixed = await curl([
        '-x',
        proxy.url,
        '--data-binary',
        'hello=world',
        at('allowed.test', '/post'),
      ]);
      assert.equal(fixed.status, 200);
      const seen = JSON.parse(fixed.body) as {
        method: string;
        body: string;
        headers: Record<string, string>;
      };
      assert.equal(seen.method, 'POST');
      assert.equal(seen.body, 'hello=world');
      assert.equal(seen.headers['content-length'], '11');
      const chunked = await curl([
        '-x',
        proxy.url,
        '-H',
        'Transfer-Encoding: chunked',
        '-H',
        'Expect: 100-continue',
        '--data-binary',
        'x'.repeat(5000),
        at('allowed.test', '/chunked'),
      ]);
      assert.equal(chunked.status, 200);
      const c = JSON.parse(chunked.body) as { body: string; headers: Record<string, string> };
      assert.equal(c.body.length, 5000);
      assert.equal(c.headers['transfer-encoding'], 'chunked');
      assert.equal(c.headers.expect, undefined, 'banwall answered the 100-continue itself');
    },
  );

  void test(
    'a blocked host gets a 403 page: plain text for scripts, HTML for browsers',
    { skip: TOOLS_SKIP },
    async () => {
      const text = await curl(['-x', proxy.url, at('blocked.test', '/x')]);
      assertBlocked(text, 'wechat/core');
      assert.match(text.headers, /^content-type: text\/plain/im);
      assert.match(text.body, /Blocked: http:\/\/blocked\.test:\d+\/x/);
      assert.match(text.body, /WeChat \(service\)/);
      assert.match(text.body, /Government of Canada/);
      assert.match(text.body, /contact your IT service desk/);

      const html = await curl([
        '-x',
        proxy.url,
        '-H',
        'Accept: text/html,*/*',
        at('sub.weixin.qq.com', '/<script>'),
      ]);
      assert.equal(html.status, 403);
      assert.match(html.headers, /^content-type: text\/html/im);
      assert.match(html.body, /<h1>Blocked by network policy<\/h1>/);
      assert.ok(!html.body.includes('<script>'), 'the URL is escaped');
      assert.ok(
        origin.seen.every((s) => !s.url.includes('/x')),
        'the origin never saw it',
      );
    },
  );

  void test(
    'dldir1.qq.com: /weixin/ is refused, /qqfile/ goes through, path tricks do not help',
    { skip: TOOLS_SKIP },
    async () => {
      assert.equal((await curl(['-x', proxy.url, at('dldir1.qq.com', '/qqfile/qq/QQ9.exe')])).status, 200);
      for (const p of [
        '/weixin/Windows/WeChatSetup.exe',
        '/qqfile/../weixin/WeChatSetup.exe',
        '/%77eixin/WeChatSetup.exe',
        '//weixin/WeChatSetup.exe',
      ]) {
        assertBlocked(
          await curl(['-x', proxy.url, '--path-as-is', at('dldir1.qq.com', p)]),
          'wechat/download',
          p,
        );
      }
      const trailingDot = await curl(['-x', proxy.url, `http://DLDIR1.qq.com.:${origin.port}/weixin/a.exe`]);
      assert.equal(trailingDot.status, 403);
    },
  );

  void test(
    'app-store listings of WeChat are refused, other apps go through',
    { skip: TOOLS_SKIP },
    async () => {
      const refused = [
        at('play.google.com', '/store/apps/details?id=com.tencent.mm'),
        at('play.google.com', '/store/apps/details?hl=en&id=com.tencent.mm'),
        at('apps.apple.com', '/ca/app/wechat/id414478124'),
        at('apps.apple.com', '/app/id414478124?mt=8'),
      ];
      for (const u of refused) assertBlocked(await curl(['-x', proxy.url, u]), 'wechat/app-store', u);
      const allowed = [
        at('play.google.com', '/store/apps/details?id=com.whatsapp'),
        at('play.google.com', '/store/apps/details?id=com.tencent.mmx'),
        at('apps.apple.com', '/ca/app/signal/id874139669'),
        at('apps.apple.com', '/ca/app/other/id4144781240'),
      ];
      for (const u of allowed) assert.equal((await curl(['-x', proxy.url, u])).status, 200, u);
    },
  );

  void test(
    'CNAME cloaking and answer-IP rules of the chain apply (the chain says blocked)',
    { skip: TOOLS_SKIP },
    async () => {
      assertBlocked(await curl(['-x', proxy.url, at('cloaked.test', '/')]), 'wechat/telemetry');
    },
  );

  void test(
    'an IP literal under an IP rule is refused; an unlisted one goes through',
    { skip: TOOLS_SKIP },
    async () => {
      assert.equal((await curl(['-x', proxy.url, `http://127.0.0.2:${origin.port}/`])).status, 403);
      // 2130706434 is 127.0.0.2 written as one number: the same address, the same rule.
      assert.equal((await curl(['-x', proxy.url, `http://2130706434:${origin.port}/`])).status, 403);
      assert.equal((await curl(['-x', proxy.url, `http://127.0.0.1:${origin.port}/ip`])).status, 200);
    },
  );

  void test(
    'a name without an address gets 502, an IPv6-only name is reached over IPv6',
    { skip: TOOLS_SKIP },
    async () => {
      const r = await curl(['-x', proxy.url, at('nowhere.test', '/')]);
      assert.equal(r.status, 502);
      assert.match(r.body, /cannot resolve nowhere\.test \(nxdomain\)/);
      const v6 = await startHttpOrigin('::1');
      try {
        const ok = await curl(['-x', proxy.url, `http://v6only.test:${v6.port}/six`]);
        assert.equal(ok.status, 200);
      } finally {
        await v6.close();
      }
    },
  );

  void test('a client that aborts leaves no upstream request open', { skip: TOOLS_SKIP }, async () => {
    const before = origin.seen.length;
    const sock = net.connect(proxy.port, '127.0.0.1');
    sock.on('error', () => {});
    sock.write(`GET ${at('slow.test', '/slow')} HTTP/1.1\r\nHost: slow.test\r\n\r\n`);
    await waitFor(
      () => origin.open === 1 && origin.seen.length === before + 1,
      3000,
      'the origin to get the request',
    );
    sock.destroy();
    await waitFor(() => origin.open === 0, 3000, 'the upstream request to be closed');
    assert.equal(origin.seen.at(-1)!.closedEarly, true);
  });
});

void describe('CONNECT', { skip: TOOLS_SKIP }, () => {
  const https = (host: string) => `https://${host}:${tlsOrigin.port}/`;

  void test('an allowed CONNECT goes through (curl)', { skip: TOOLS_SKIP }, async () => {
    const r = await curl(['-k', '-x', proxy.url, https('allowed.test')]);
    assert.equal(r.status, 200, r.headers);
    assert.match(r.headers, /200 Connection Established/i);
    assert.equal(JSON.parse(r.body).origin, 'tls');
    assert.ok(tlsOrigin.servernames.includes('allowed.test'));
  });

  void test('an allowed CONNECT goes through (undici ProxyAgent)', { skip: TOOLS_SKIP }, async () => {
    const agent = new ProxyAgent({ uri: proxy.url, requestTls: { rejectUnauthorized: false } });
    try {
      const res = await request(https('allowed.test'), { dispatcher: agent });
      assert.equal(res.statusCode, 200);
      assert.equal(((await res.body.json()) as { origin: string }).origin, 'tls');
    } finally {
      await agent.close();
    }
  });

  void test('a blocked host is refused before the tunnel opens', { skip: TOOLS_SKIP }, async () => {
    const r = await curl(['-k', '-x', proxy.url, https('blocked.test')]);
    assert.notEqual(r.exitCode, 0, 'curl reports the failed tunnel');
    assert.match(r.headers, /^HTTP\/1\.1 403 Forbidden/);
    assert.match(r.headers, /^x-banwall-block: wechat\/core\r?$/im);
    assert.ok(!tlsOrigin.servernames.includes('blocked.test'));
  });

  void test('CONNECT to a blocked IP literal and to port 25 are refused', { skip: TOOLS_SKIP }, async () => {
    const ip = await rawExchange(
      proxy.port,
      `CONNECT 127.0.0.2:${tlsOrigin.port} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    assert.match(ip, /^HTTP\/1\.1 403 /);
    assert.match(ip, /X-Banwall-Block: wechat\/core/);
    const smtp = await rawExchange(
      proxy.port,
      'CONNECT allowed.test:25 HTTP/1.1\r\nHost: allowed.test:25\r\n\r\n',
    );
    assert.match(smtp, /^HTTP\/1\.1 403 /);
    assert.match(smtp, /proxy\.connectPorts/);
  });

  const handshake = (authority: string, servername: string) =>
    tunnelHandshake(proxy.port, authority, servername);

  void test('a ClientHello that names a blocked host closes the tunnel', { skip: TOOLS_SKIP }, async () => {
    const blockedBefore = proxy.stats.request('connect', 'blocked');
    assert.equal(await handshake(`allowed.test:${tlsOrigin.port}`, 'allowed.test'), 'ok');
    assert.equal(await handshake(`allowed.test:${tlsOrigin.port}`, 'blocked.test'), 'closed');
    assert.equal(await handshake(`allowed.test:${tlsOrigin.port}`, 'x.weixin.qq.com'), 'closed');
    assert.equal(proxy.stats.request('connect', 'blocked'), blockedBefore + 2);
    assert.ok(!tlsOrigin.servernames.includes('blocked.test'), 'the origin never saw the blocked hello');
  });

  void test(
    'CONNECT by IP literal: the SNI decides (CNAME cloaking through the chain included)',
    { skip: TOOLS_SKIP },
    async () => {
      assert.equal(await handshake(`127.0.0.1:${tlsOrigin.port}`, 'allowed.test'), 'ok');
      assert.equal(await handshake(`127.0.0.1:${tlsOrigin.port}`, 'blocked.test'), 'closed');
      assert.equal(await handshake(`127.0.0.1:${tlsOrigin.port}`, 'cloaked.test'), 'closed');
    },
  );

  void test(
    'a tunnel whose first bytes are not TLS is closed (requireTls)',
    { skip: TOOLS_SKIP },
    async () => {
      const out = await rawExchange(
        proxy.port,
        `CONNECT allowed.test:${tlsOrigin.port} HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      assert.match(out, /^HTTP\/1\.1 200 Connection Established\r\n\r\n$/);
    },
  );
});

void describe('access', { skip: TOOLS_SKIP }, () => {
  void test(
    'clients outside allowedClients get 403 for HTTP and CONNECT (no open proxy)',
    { skip: TOOLS_SKIP },
    async (t) => {
      const p = await startProxy({ allowedClients: ['10.0.0.0/8'] }, policy, chain, t);
      const r = await curl(['-x', p.url, at('allowed.test')]);
      assert.equal(r.status, 403);
      assert.match(r.body, /allowedClients/);
      const c = await rawExchange(p.port, 'CONNECT allowed.test:443 HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.match(c, /^HTTP\/1\.1 403 /);
      assert.equal(p.stats.request('http', 'denied'), 1);
      assert.equal(p.stats.request('connect', 'denied'), 1);
    },
  );

  void test(
    'Basic authentication: 407 with Proxy-Authenticate, then through with the password',
    { skip: TOOLS_SKIP },
    async (t) => {
      const p = await startProxy({ auth: { users: { alice: 's3cret' } } }, policy, chain, t);
      const none = await curl(['-x', p.url, at('allowed.test')]);
      assert.equal(none.status, 407);
      assert.match(none.headers, /^proxy-authenticate: Basic realm="banwall"/im);
      const wrong = await curl(['-x', p.url, '-U', 'alice:nope', at('allowed.test')]);
      assert.equal(wrong.status, 407);
      const ok = await curl(['-x', p.url, '-U', 'alice:s3cret', at('allowed.test', '/auth')]);
      assert.equal(ok.status, 200);
      assert.equal(
        JSON.parse(ok.body).headers['proxy-authorization'],
        undefined,
        'credentials stay with the proxy',
      );
      const c = await rawExchange(p.port, 'CONNECT allowed.test:443 HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.match(c, /^HTTP\/1\.1 407 /);
    },
  );
});

void test('an asynchronous chain (cache miss) gives the same decisions', { skip: TOOLS_SKIP }, async (t) => {
  const slowChain = fakeChain(zone, { 'cloaked.test': { rule: CLOAK, group: 'default' } }, { async: true });
  const p = await startProxy({ connectPorts: [tlsOrigin.port] }, policy, slowChain, t);
  assert.equal((await curl(['-x', p.url, at('allowed.test', '/async')])).status, 200);
  assert.equal((await curl(['-x', p.url, at('cloaked.test', '/')])).status, 403);
  assert.equal((await curl(['-k', '-x', p.url, `https://allowed.test:${tlsOrigin.port}/`])).status, 200);
});
