// The proxy inside a real banwall process (`banwall serve`) with the shipped lists, its names
// resolved by a fake upstream DNS on loopback through banwall's own chain, driven by curl -x and
// undici's ProxyAgent against local HTTP and TLS origins. Every test name maps to 127.0.0.x.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ProxyAgent, request } from 'undici';
import type { RunningBanwall } from '../helpers/banwall.ts';
import type { FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { aRecords, startProxiedBanwall, type ProxiedBanwall } from './banwall-proxy.ts';
import {
  makeCert,
  rawExchange,
  shippedPolicy,
  startHttpOrigin,
  startTlsOrigin,
  waitFor,
  type Origin,
} from './fixtures.ts';
import { curl } from '../helpers/curl.ts';
import { assertBlocked, tunnelHandshake } from './proxy-clients.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('curl', 'openssl');

let stack: ProxiedBanwall;
let up: FakeUpstream;
let bw: RunningBanwall;
let origin: Origin;
let tlsOrigin: Awaited<ReturnType<typeof startTlsOrigin>>;
let proxyUrl: string;

/** The shipped policy with absolute list paths, plus a test list holding the loopback IP 127.0.0.2. */
async function policySections(dir: string): Promise<Record<string, unknown>> {
  const shipped = (await shippedPolicy(dir)) as {
    lists: object[];
    groups: { name: string; lists: string[] }[];
  };
  const ipList = path.join(dir, 'test-ips.txt');
  await writeFile(ipList, 'ip 127.0.0.2   # stands in for a WeChat server address\n');
  return {
    ...shipped,
    lists: [...shipped.lists, { name: 'test-ips', app: 'wechat', category: 'core', source: ipList }],
    groups: shipped.groups.map((g) => (g.name === 'default' ? { ...g, lists: [...g.lists, 'test-ips'] } : g)),
  };
}

before(async () => {
  if (TOOLS_SKIP) return; // every test here skips
  origin = await startHttpOrigin();
  tlsOrigin = await startTlsOrigin(await makeCert(['allowed.test', 'sgshort.wechat.com']));
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-proxy-e2e-'));
  stack = await startProxiedBanwall({
    dir,
    zone: {
      ...aRecords([
        'allowed.test',
        'dldir1.qq.com',
        'play.google.com',
        'apps.apple.com',
        'long.weixin.qq.com',
        'qyapi.weixin.qq.com',
        'sgshort.wechat.com',
      ]),
      'cloak.test': [{ type: 'CNAME', data: 'sgshort.wechat.com', ttl: 300 }],
      ...aRecords(['ipcloak.test'], '127.0.0.2'),
    },
    config: await policySections(dir),
    proxy: { connectPorts: [443, tlsOrigin.port] },
    closeWith: [origin, tlsOrigin],
  });
  ({ up, bw, proxyUrl } = stack);
});

after(async () => {
  await stack?.close();
});

const at = (host: string, p = '/') => `http://${host}:${origin.port}${p}`;

void test(
  'an allowed HTTP request goes through, its name resolved by banwall’s chain',
  { skip: TOOLS_SKIP },
  async () => {
    const r = await curl(['-x', proxyUrl, at('allowed.test', '/hello')]);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).url, '/hello');
    assert.ok(
      up.queries.some((q) => q.name === 'allowed.test'),
      'asked the upstream through the chain',
    );
    // WeCom stays reachable: the allow anchor wins over the weixin.qq.com block in the proxy too.
    assert.equal((await curl(['-x', proxyUrl, at('qyapi.weixin.qq.com', '/cgi-bin/webhook')])).status, 200);
    const agent = new ProxyAgent(proxyUrl);
    try {
      const res = await request(at('allowed.test', '/undici'), { dispatcher: agent });
      assert.equal(res.statusCode, 200);
      await res.body.dump();
    } finally {
      await agent.close();
    }
  },
);

void test(
  'a blocked host gets the 403 page; CNAME cloaking and answer IPs are caught too',
  { skip: TOOLS_SKIP },
  async () => {
    const r = await curl(['-x', proxyUrl, '-H', 'Accept: text/html', at('long.weixin.qq.com', '/')]);
    assertBlocked(r, 'wechat/[a-z-]+');
    assert.match(r.body, /WeChat/);
    assert.match(r.body, /Government of Canada/);
    const cloak = await curl(['-x', proxyUrl, at('cloak.test', '/')]);
    assert.equal(cloak.status, 403);
    assert.match(cloak.headers, /^x-banwall-block: wechat\//im);
    const ip = await curl(['-x', proxyUrl, at('ipcloak.test', '/')]);
    assert.equal(ip.status, 403);
    assert.match(ip.body, /127\.0\.0\.2/);
  },
);

void test('dldir1.qq.com: /weixin/ refused, /qqfile/ through', { skip: TOOLS_SKIP }, async () => {
  const blocked = await curl(['-x', proxyUrl, at('dldir1.qq.com', '/weixin/Windows/WeChatSetup.exe')]);
  assertBlocked(blocked, 'wechat/download');
  const qq = await curl(['-x', proxyUrl, at('dldir1.qq.com', '/qqfile/qq/PCQQ2021/QQ9.7.exe')]);
  assert.equal(qq.status, 200);
  assert.equal(JSON.parse(qq.body).url, '/qqfile/qq/PCQQ2021/QQ9.7.exe');
});

void test('WeChat store listings refused, other apps’ listings through', { skip: TOOLS_SKIP }, async () => {
  for (const u of [
    at('play.google.com', '/store/apps/details?id=com.tencent.mm'),
    at('play.google.com', '/store/apps/details?hl=fr_CA&id=com.tencent.mm'),
    at('apps.apple.com', '/ca/app/wechat/id414478124'),
    at('apps.apple.com', '/app/id414478124'),
  ]) {
    assertBlocked(await curl(['-x', proxyUrl, u]), 'wechat/app-store', u);
  }
  for (const u of [
    at('play.google.com', '/store/apps/details?id=com.whatsapp'),
    at('apps.apple.com', '/ca/app/signal-private-messenger/id874139669'),
    at('apps.apple.com', '/ca/app/x/id4144781240'),
  ]) {
    assert.equal((await curl(['-x', proxyUrl, u])).status, 200, u);
  }
});

void test(
  'CONNECT: allowed goes through; blocked host, blocked IP literal and port 25 refused',
  { skip: TOOLS_SKIP },
  async () => {
    const ok = await curl(['-k', '-x', proxyUrl, `https://allowed.test:${tlsOrigin.port}/tls`]);
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).origin, 'tls');
    const agent = new ProxyAgent({ uri: proxyUrl, requestTls: { rejectUnauthorized: false } });
    try {
      const res = await request(`https://allowed.test:${tlsOrigin.port}/undici`, { dispatcher: agent });
      assert.equal(res.statusCode, 200);
      await res.body.dump();
    } finally {
      await agent.close();
    }
    const host = await curl(['-k', '-x', proxyUrl, `https://long.weixin.qq.com:${tlsOrigin.port}/`]);
    assert.match(host.headers, /^HTTP\/1\.1 403 /);
    assert.match(host.headers, /^x-banwall-block: wechat\/[a-z-]+\r?$/im);
    const ip = await rawExchange(
      bw.proxyPort!,
      `CONNECT 127.0.0.2:${tlsOrigin.port} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    assert.match(ip, /^HTTP\/1\.1 403 /);
    const smtp = await rawExchange(bw.proxyPort!, 'CONNECT allowed.test:25 HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(smtp, /^HTTP\/1\.1 403 /);
  },
);

void test('a CONNECT whose ClientHello names a blocked host is closed', { skip: TOOLS_SKIP }, async () => {
  const handshake = (authority: string, servername: string) =>
    tunnelHandshake(bw.proxyPort!, authority, servername);
  assert.equal(await handshake(`allowed.test:${tlsOrigin.port}`, 'allowed.test'), 'ok');
  assert.equal(await handshake(`allowed.test:${tlsOrigin.port}`, 'sgshort.wechat.com'), 'closed');
  assert.equal(await handshake(`127.0.0.1:${tlsOrigin.port}`, 'sgshort.wechat.com'), 'closed');
  assert.ok(!tlsOrigin.servernames.includes('sgshort.wechat.com'));
});

void test('a client that aborts leaves no upstream request open', { skip: TOOLS_SKIP }, async () => {
  const sock = net.connect(bw.proxyPort!, '127.0.0.1');
  sock.on('error', () => {});
  sock.write(`GET ${at('allowed.test', '/slow')} HTTP/1.1\r\nHost: allowed.test\r\n\r\n`);
  await waitFor(() => origin.open === 1, 5000, 'the origin to get the request');
  sock.destroy();
  await waitFor(() => origin.open === 0, 5000, 'the upstream request to be closed');
});

void test(
  'the proxy counters reach /metrics and the PAC file names the proxy',
  { skip: TOOLS_SKIP },
  async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${bw.httpPort}/metrics`)).text();
    assert.match(metrics, /banwall_proxy_requests_total\{kind="http",result="blocked"\} [1-9]/);
    assert.match(
      metrics,
      /banwall_proxy_blocked_total\{app="wechat",category="download",group="default"\} [1-9]/,
    );
    assert.match(metrics, /banwall_proxy_requests_total\{kind="connect",result="allowed"\} [1-9]/);
    const pac = await (await fetch(`http://127.0.0.1:${bw.httpPort}/proxy.pac`)).text();
    assert.match(pac, new RegExp(`PROXY 127\\.0\\.0\\.1:${bw.proxyPort}`));
  },
);
