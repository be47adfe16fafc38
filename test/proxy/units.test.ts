// Small parts of the proxy on their own: target parsing and normalisation, hop-by-hop headers, the
// resolver-chain lookup, the PAC file, the counters and their Prometheus exposition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import dns2 from 'dns2';
import { parseConnectTarget, parseHttpTarget } from '../../src/proxy/target.ts';
import { prepareRequestHeaders, prepareResponseHeaders } from '../../src/proxy/headers.ts';
import { buildQuery, internalLookup, lookupAddresses } from '../../src/dns/internal-lookup.ts';
import { buildPac } from '../../src/proxy/pac.ts';
import { ProxyStats, type ProxyBlock } from '../../src/proxy/proxy-stats.ts';
import { registerProxyMetrics } from '../../src/proxy/metrics.ts';
import { registry } from '../../src/metrics/registry.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { DnsAnswer } from '../../src/dns/resolver.ts';
import { fakeChain, rule } from './fixtures.ts';
import { DnsStats } from '../../src/dns/stats/dns-stats.ts';

/** A plain-HTTP block of `host` by `client`, as the forwarder records it. */
function blockOf(host: string, client: string): ProxyBlock {
  return { host, client, kind: 'http', target: `${host}/`, method: 'GET', status: 403, identity: '' };
}

/** Each input is refused: the parser returns null for it. */
function assertRefused(parse: (text: string) => unknown, inputs: readonly string[]): void {
  for (const bad of inputs) assert.equal(parse(bad), null, bad);
}

void test('absolute-form targets are normalised the way the origin reads them', () => {
  const t = parseHttpTarget('http://DLDIR1.qq.com.:80/qqfile/../%77eixin//x%2fy?id=com.tencent.mm#frag')!;
  assert.equal(t.host, 'dldir1.qq.com');
  assert.equal(t.port, 80);
  assert.equal(t.authority, 'dldir1.qq.com');
  assert.equal(t.originForm, '/weixin//x%2Fy?id=com.tencent.mm');
  // The policy judges the path as the origin reads it (%2F decoded, issue 12.1); the forwarded path
  // keeps the escape, which can mean something to the origin.
  assert.equal(t.policyPath, '/weixin/x/y');
  assert.equal(t.query, 'id=com.tencent.mm');
  assert.deepEqual(
    [parseHttpTarget('http://[::1]:8080/')!.host, parseHttpTarget('http://[::1]:8080/')!.authority],
    ['::1', '[::1]:8080'],
  );
  assert.equal(parseHttpTarget('http://0x7f.1/')!.host, '127.0.0.1');
  assert.equal(parseHttpTarget('http://u:p@h.test/')!.host, 'h.test');
  // Not an absolute http:// URL; a bad host or port.
  assertRefused(parseHttpTarget, ['/', 'https://a.test/', 'ftp://a.test/', 'x']);
  assertRefused(parseHttpTarget, ['http://a..b/', 'http://1.2.3.4.5/', 'http://a.test:0/']);
});

void test('CONNECT targets: host:port only, IP forms normalised', () => {
  assert.deepEqual(parseConnectTarget('Example.TEST.:443'), { host: 'example.test', ipFamily: 0, port: 443 });
  assert.deepEqual(parseConnectTarget('[2001:db8::1]:443'), { host: '2001:db8::1', ipFamily: 6, port: 443 });
  assert.deepEqual(parseConnectTarget('2130706433:443'), { host: '127.0.0.1', ipFamily: 4, port: 443 });
  // No port, or a bad one; not host:port (an unbracketed IPv6 address, a path), or a bad host.
  assertRefused(parseConnectTarget, ['a.test', 'a.test:65536', '[::1]']);
  assertRefused(parseConnectTarget, ['::1:443', 'a.test:443/x', 'a b:443', '999.1.1.1:443']);
});

void test('hop-by-hop headers go, framing headers cannot be removed through Connection', () => {
  const h: Record<string, string> = {
    host: 'wrong',
    connection: 'keep-alive, x-secret, content-length, transfer-encoding',
    'x-secret': '1',
    'content-length': '5',
    'proxy-authorization': 'Basic x',
    'proxy-connection': 'keep-alive',
    te: 'trailers',
    upgrade: 'websocket',
    via: '1.0 other',
  };
  prepareRequestHeaders(h, 'right.test', '1.1 banwall-x');
  assert.deepEqual(h, { host: 'right.test', 'content-length': '5', via: '1.0 other, 1.1 banwall-x' });
  const r: Record<string, string> = { 'keep-alive': 'timeout=5', connection: 'close', 'x-a': 'b' };
  prepareResponseHeaders(r, '1.1 banwall-x');
  assert.deepEqual(r, { 'x-a': 'b', via: '1.1 banwall-x' });
});

void test('internal lookup builds a real DNS query and reads facts, wire answers and blocks', async () => {
  const q = buildQuery('Www.Example.Test', 1)!;
  const parsed = dns2.Packet.parse(q.packet);
  assert.equal(parsed.questions[0].name, 'www.example.test');
  assert.equal(q.questionEnd, q.packet.length);
  assert.equal(buildQuery(`${'a'.repeat(64)}.test`, 1), null);
  assert.equal(buildQuery('a..b', 1), null);

  const block = { rule: rule('wechat', 'core', 'x'), group: 'g' };
  const chain = fakeChain(
    { 'a.test': ['192.0.2.1', '2001:db8::1'], 'six.test': ['2001:db8::2'] },
    { 'b.test': block },
  );
  assert.deepEqual(internalLookup(chain, 'a.test', '10.0.0.1'), {
    kind: 'addresses',
    addresses: ['192.0.2.1'],
  });
  assert.deepEqual(await lookupAddresses(chain, 'six.test', '10.0.0.1'), {
    kind: 'addresses',
    addresses: ['2001:db8::2'],
  });
  assert.deepEqual(internalLookup(chain, 'b.test', '10.0.0.1'), { kind: 'blocked', block });
  assert.deepEqual(internalLookup(chain, 'none.test', '10.0.0.1'), { kind: 'failed', reason: 'nxdomain' });
  assert.equal(chain.queries[0].protocol, 'internal');
  assert.equal(chain.queries[0].client, '10.0.0.1');

  // An answer without facts is read with dns2.
  const wirePacket = new dns2.Packet();
  wirePacket.header.qr = 1;
  wirePacket.answers.push({ name: 'w.test', type: 1, class: 1, ttl: 60, address: '198.51.100.7' } as never);
  const wireChain = {
    resolve: (): Promise<DnsAnswer> => Promise.resolve({ wire: wirePacket.toBuffer(), result: 'allowed' }),
  };
  assert.deepEqual(await internalLookup(wireChain, 'w.test', '::1'), {
    kind: 'addresses',
    addresses: ['198.51.100.7'],
  });
  const failing = { resolve: () => Promise.reject(new Error('boom')) };
  assert.deepEqual(await internalLookup(failing, 'w.test', '::1'), { kind: 'failed', reason: 'servfail' });
});

function pacConfig(proxy: Record<string, unknown>) {
  return configSchema.parse({ dns: { upstreams: ['udp://127.0.0.1:53'] }, proxy });
}

function runPac(pac: string, url: string, host: string): string {
  const ctx = vm.createContext({
    isPlainHostName: (h: string) => !h.includes('.'),
    dnsDomainIs: (h: string, d: string) => h.endsWith(d),
    isInNet: (h: string, net: string, mask: string) => {
      const n = (s: string) => s.split('.').reduce((a, b) => a * 256 + Number(b), 0);
      return (n(h) & n(mask)) >>> 0 === (n(net) & n(mask)) >>> 0;
    },
  });
  vm.runInContext(pac, ctx);
  return vm.runInContext(`FindProxyForURL(${JSON.stringify(url)}, ${JSON.stringify(host)})`, ctx) as string;
}

void test('the PAC file sends the web through the proxy and fails closed', () => {
  const pac = buildPac(pacConfig({ pac: { direct: ['intranet.gc.ca'] } }), [
    { host: '10.1.2.3', port: 3128 },
  ]);
  assert.equal(runPac(pac, 'http://weixin.qq.com/', 'weixin.qq.com'), 'PROXY 10.1.2.3:3128');
  assert.equal(runPac(pac, 'http://intranet/', 'intranet'), 'DIRECT');
  assert.equal(runPac(pac, 'http://x.intranet.gc.ca/', 'x.intranet.gc.ca'), 'DIRECT');
  assert.equal(runPac(pac, 'http://10.9.9.9/', '10.9.9.9'), 'DIRECT');
  assert.equal(runPac(pac, 'http://127.0.0.1/', '127.0.0.1'), 'DIRECT');
  assert.equal(runPac(pac, 'http://8.8.8.8/', '8.8.8.8'), 'PROXY 10.1.2.3:3128');
  assert.ok(!pac.includes('; DIRECT'), 'no DIRECT fallback');

  const named = buildPac(pacConfig({ pac: { proxies: ['proxy.example.gc.ca:3128'] } }), []);
  assert.equal(runPac(named, 'https://a.test/', 'a.test'), 'PROXY proxy.example.gc.ca:3128');
  const wildcard = buildPac(
    pacConfig({ listen: ['0.0.0.0:3128'] }),
    [{ host: '0.0.0.0', port: 3128 }],
    'banwall.lan:9153',
  );
  assert.equal(runPac(wildcard, 'https://a.test/', 'a.test'), 'PROXY banwall.lan:3128');
});

void test('counters are published as banwall_proxy_* series', async () => {
  const stats = new ProxyStats();
  registerProxyMetrics(stats);
  stats.recordRequest('http', 'allowed');
  stats.recordRequest('connect', 'blocked');
  const r = rule('wechat', 'download', 'dldir1.qq.com/weixin/');
  stats.recordBlock({ rule: r, group: 'default' }, blockOf('blocked.test', '10.0.0.7'));
  stats.recordBlock({ rule: r, group: 'default' }, blockOf('blocked.test', '10.0.0.7'));
  stats.recordBlock(
    { rule: rule('kaspersky', 'update', 'x'), group: 'phones' },
    blockOf('blocked.test', '10.0.0.7'),
  );
  const text = await registry.metrics();
  assert.match(text, /^banwall_proxy_requests_total\{kind="http",result="allowed"\} 1$/m);
  assert.match(text, /^banwall_proxy_requests_total\{kind="connect",result="blocked"\} 1$/m);
  assert.match(text, /^banwall_proxy_requests_total\{kind="connect",result="error"\} 0$/m);
  assert.match(text, /^banwall_proxy_blocked_total\{app="wechat",category="download",group="default"\} 2$/m);
  assert.match(text, /^banwall_proxy_blocked_total\{app="kaspersky",category="update",group="phones"\} 1$/m);
  stats.recordBlock({ rule: r, group: 'default' }, blockOf('blocked.test', '10.0.0.7'));
  assert.match(await registry.metrics(), /group="default"\} 3$/m);
});

void test('proxy blocks feed the top blocked names and clients of /api/top', () => {
  const stats = new ProxyStats();
  const dns = new DnsStats();
  stats.topSink = dns;
  const r = rule('wechat', 'download', 'dldir1.qq.com/weixin/');
  stats.recordBlock({ rule: r, group: 'default' }, blockOf('dldir1.qq.com', '10.0.0.7'));
  stats.recordBlock({ rule: r, group: 'default' }, blockOf('dldir1.qq.com', '10.0.0.8'));
  const now = performance.now();
  assert.deepEqual(
    dns.topBlockedNames.top(5, now, 15).map((e) => [e.key, e.count]),
    [['dldir1.qq.com', 2]],
  );
  assert.deepEqual(
    dns.topBlockedClients
      .top(5, now, 15)
      .map((e) => e.key)
      .sort(),
    ['10.0.0.7', '10.0.0.8'],
  );
});
