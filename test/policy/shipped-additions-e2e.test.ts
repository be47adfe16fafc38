// The list additions of issues 13 and 16 through a real banwall process (resolver and proxy) with the
// shipped policy: WeCom's login CDN resolves while Web WeChat's wechatapp.com does not; public
// DoH/DoT/DoQ resolver names fail in DNS, an answer carrying a resolver address is refused, and
// the proxy refuses CONNECT and absolute-form requests to resolver IP literals by the list's `ip` rules
// (issue 16 item 3). `proxy.deniedTargets` covers every address, so even a regression can never open a
// connection beyond loopback: the test tells the two refusals apart by the block page's reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';
import { assertAnswers } from '../helpers/dig-assert.ts';
import { banwallSuite } from '../helpers/banwall-suite.ts';
import { shippedPolicy } from '../helpers/shipped-policy.ts';

const suite = banwallSuite(async () => ({
  upstream: {
    zone: {
      'dns.quad9.net': [{ type: 'A', data: '192.0.2.10', ttl: 300 }],
      'doh-by-cname.test': [{ type: 'A', data: '94.140.14.14', ttl: 300 }],
      'wwcdn.weixin.qq.com': [{ type: 'A', data: '192.0.2.11', ttl: 300 }],
      'webpush1.wechatapp.com': [{ type: 'A', data: '192.0.2.12', ttl: 300 }],
    },
  },
  config: {
    ...(await shippedPolicy()),
    proxy: { listen: ['127.0.0.1:0'], deniedTargets: ['0.0.0.0/0', '::/0'] },
  },
}));

/** Sends one raw request head to the proxy and returns the response head and body. */
function ask(head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(suite.bw.proxyPort!, '127.0.0.1');
    let out = '';
    s.setTimeout(5_000, () => s.destroy(new Error('proxy did not answer')));
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.write(head);
  });
}

void test(
  'WeCom’s wwcdn.weixin.qq.com resolves (WeCom web login), wechatapp.com does not',
  { skip: NO_DIG_KDIG },
  async () => {
    for (const name of ['wwcdn.weixin.qq.com', 'WWCDN.weixin.qq.com']) {
      const r = await dig(suite.bw.dnsPort, name, 'A');
      assertAnswers(r, ['192.0.2.11'], name);
    }
    const push = await dig(suite.bw.dnsPort, 'webpush1.wechatapp.com', 'A');
    assert.equal(push.status, 'NXDOMAIN');
    assert.match(push.ede ?? '', /wechat\/core/);
    // Through the proxy: wwcdn is not refused by the policy (deniedTargets stops it before any connect).
    const r = await ask('CONNECT wwcdn.weixin.qq.com:443 HTTP/1.1\r\nHost: wwcdn.weixin.qq.com:443\r\n\r\n');
    assert.doesNotMatch(r, /wechat/i, r);
    const w = await ask('CONNECT web1.wechatapp.com:443 HTTP/1.1\r\nHost: web1.wechatapp.com:443\r\n\r\n');
    assert.match(w, /^HTTP\/1\.1 403[\s\S]*wechat/);
  },
);

void test(
  'resolver names fail in DNS; banwall’s upstream name resolves; a resolver address in an answer is refused',
  { skip: NO_DIG_KDIG },
  async () => {
    for (const name of ['dns.adguard-dns.com', 'dns.nextdns.io', 'doh.mullvad.net', 'dns.controld.com']) {
      const r = await dig(suite.bw.dnsPort, name, 'A');
      assert.equal(r.status, 'NXDOMAIN', name);
      assert.match(r.ede ?? '', /bypass\/bypass/, name);
    }
    assert.equal((await dig(suite.bw.dnsPort, 'dns.quad9.net', 'A')).status, 'NOERROR');
    const cloaked = await dig(suite.bw.dnsPort, 'doh-by-cname.test', 'A');
    assert.equal(cloaked.status, 'NXDOMAIN');
    assert.match(cloaked.ede ?? '', /bypass/);
  },
);

void test(
  'CONNECT and absolute-form requests to resolver IP literals hit the list’s ip rules',
  { skip: NO_DIG_KDIG },
  async () => {
    assert.ok(suite.bw.proxyPort, 'the proxy listens');
    for (const target of [
      '94.140.14.14:443',
      '76.76.2.11:443',
      '[2606:4700:4700::1111]:443',
      '[2a10:50c0::ad1:ff]:443',
    ]) {
      const r = await ask(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
      assert.match(r, /^HTTP\/1\.1 403/, target);
      assert.match(r, /bypass/, `${target}: refused by the bypass list, not by deniedTargets`);
    }
    const get = await ask(
      'GET http://1.1.1.1/dns-query?dns=AAAB HTTP/1.1\r\nHost: 1.1.1.1\r\nConnection: close\r\n\r\n',
    );
    assert.match(get, /^HTTP\/1\.1 403/);
    assert.match(get, /bypass/);
  },
);
