// Issue 12.3: the proxy must never reach banwall's own listeners (the admin API with /api/top,
// /api/status, /metrics; the DNS port; the proxy itself), whatever deniedTargets and allowInternal
// say, and must refuse the host's own addresses and (denyPrivate) internal ranges unless allowInternal
// names the service. The end-to-end part runs a real banwall whose API listens on a second loopback
// address (127.0.0.2), with deniedTargets emptied and loopback allowed, so only the new check can
// refuse; curl -x is the attacker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningBanwall } from '../helpers/banwall.ts';
import { aRecords, startProxiedBanwall, type ProxiedBanwall } from './banwall-proxy.ts';
import { TargetGuard, INTERNAL_RANGES } from '../../src/proxy/target-guard.ts';
import { proxySchema } from '../../src/proxy/config.ts';
import { selfSigned } from '../helpers/certs.ts';
import { fakeChain, fakePolicy, rawExchange, startHttpOrigin, startProxy, type Origin } from './fixtures.ts';
import { curl } from '../helpers/curl.ts';
import { freeTcpPort } from '../helpers/ports.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('curl', 'openssl');

const status = (raw: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);

void describe('a real banwall: curl -x to its own listeners is refused', { skip: TOOLS_SKIP }, () => {
  let stack: ProxiedBanwall;
  let bw: RunningBanwall;
  let origin: Origin;
  let proxyUrl: string;
  let dnsPort: number;
  let dotPort: number;
  let dohPort: number;

  before(async () => {
    const cert = await selfSigned(['localhost', '127.0.0.1'], 'banwall-self-targets-');
    [dnsPort, dotPort, dohPort] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
    origin = await startHttpOrigin();
    stack = await startProxiedBanwall({
      dir: cert.dir,
      zone: { ...aRecords(['self.test'], '127.0.0.2'), ...aRecords(['origin.test']) },
      config: {
        dns: {
          listen: [`127.0.0.1:${dnsPort}`],
          dot: { listen: [`127.0.0.1:${dotPort}`], cert: cert.certFile, key: cert.keyFile },
          doh: { listen: [`127.0.0.1:${dohPort}`], cert: cert.certFile, key: cert.keyFile },
        },
        http: { listen: ['127.0.0.2:0'] },
      },
      // Neither the old deny list (emptied) nor the new range check may be what refuses here.
      proxy: {
        allowInternal: ['127.0.0.0/8', '::1/128'],
        httpPorts: ['1-65535'],
        connectPorts: [443, dnsPort, dotPort, dohPort],
      },
      closeWith: [origin],
    });
    ({ bw, proxyUrl } = stack);
  });

  after(() => stack?.close());

  void test(
    'the admin API on 127.0.0.2, by address, by another loopback address, by name and by numeric forms',
    { skip: TOOLS_SKIP },
    async () => {
      const api = bw.httpPort!;
      for (const url of [
        `http://127.0.0.2:${api}/api/status`,
        `http://127.0.0.2:${api}/api/top`,
        `http://127.0.0.1:${api}/metrics`,
        `http://self.test:${api}/api/top`,
        `http://2130706434:${api}/api/status`,
        `http://[::ffff:127.0.0.2]:${api}/api/status`,
      ]) {
        const r = await curl(['-g', '-x', proxyUrl, url]);
        assert.equal(r.status, 403, `${url}: ${r.body}`);
        assert.match(r.body, /banwall itself/, url);
      }
    },
  );

  void test('the proxy port and the DNS port (plain HTTP and CONNECT)', { skip: TOOLS_SKIP }, async () => {
    const own = await curl(['-x', proxyUrl, `http://127.0.0.1:${bw.proxyPort}/`]);
    assert.equal(own.status, 403);
    assert.match(own.body, /banwall itself/);
    const dns = await curl(['-x', proxyUrl, `http://127.0.0.1:${dnsPort}/`]);
    assert.equal(dns.status, 403);
    const tunnel = await rawExchange(
      bw.proxyPort!,
      `CONNECT 127.0.0.1:${dnsPort} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    assert.equal(status(tunnel), 403, tunnel);
    assert.match(tunnel, /banwall itself/);
  });

  void test('the DoT and DoH ports (CONNECT and plain HTTP)', { skip: TOOLS_SKIP }, async () => {
    for (const port of [dotPort, dohPort]) {
      const tunnel = await rawExchange(
        bw.proxyPort!,
        `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      assert.equal(status(tunnel), 403, `CONNECT ${port}: ${tunnel}`);
      const plain = await curl(['-x', proxyUrl, `http://127.0.0.2:${port}/dns-query`]);
      assert.equal(plain.status, 403, `http ${port}`);
    }
  });

  void test('another service on an allowed internal address still works', { skip: TOOLS_SKIP }, async () => {
    const r = await curl(['-x', proxyUrl, `http://origin.test:${origin.port}/`]);
    assert.equal(r.status, 200, r.body);
  });
});

void describe(
  'the proxy refuses its host and internal ranges unless allowInternal names them',
  { skip: TOOLS_SKIP },
  () => {
    let origin: Origin;
    before(async () => (origin = await startHttpOrigin()));
    after(async () => await origin.close());

    void test(
      'defaults: loopback (the host) and a name resolving to a private address are refused; named services pass',
      { skip: TOOLS_SKIP },
      async (t) => {
        const chain = fakeChain({
          'intranet.test': ['127.0.0.1'],
          'other.test': ['127.0.0.1'],
          'private.test': ['10.11.12.13'],
          'cgnat.test': ['100.64.0.9'],
        });
        const p = await startProxy(
          { allowInternal: ['intranet.test'], connectPorts: [443, origin.port] },
          fakePolicy({}),
          chain,
          t,
        );
        const host = await curl(['-x', p.url, `http://other.test:${origin.port}/`]);
        assert.equal(host.status, 403);
        assert.match(host.body, /own host.*allowInternal/);
        assert.equal((await curl(['-x', p.url, `http://127.0.0.1:${origin.port}/`])).status, 403);
        // Never dialled: refused on the address the name resolved to.
        for (const name of ['private.test', 'cgnat.test']) {
          const r = await curl(['-x', p.url, `http://${name}/`]);
          assert.equal(r.status, 403, name);
          assert.match(r.body, /internal address \(proxy\.denyPrivate\)/, name);
        }
        const c = await rawExchange(p.port, `CONNECT private.test:443 HTTP/1.1\r\nHost: x\r\n\r\n`);
        assert.equal(status(c), 403);
        assert.equal((await curl(['-x', p.url, `http://intranet.test:${origin.port}/`])).status, 200);
        assert.equal(p.stats.request('http', 'denied'), 4);
      },
    );
  },
);

void test(
  'TargetGuard: listeners, host addresses, internal ranges, allowInternal, deniedTargets',
  { skip: TOOLS_SKIP },
  () => {
    let host = ['127.0.0.0/8', '::1/128', '0.0.0.0/8', '::/128', '192.0.2.10', '2001:db8::7'];
    const open = new TargetGuard({ deniedTargets: [], denyPrivate: false, allowInternal: [] }, () => host);
    open.protectPorts([9153, 53]);
    assert.equal(open.check('192.0.2.10', 80, 'x.test'), 'self', 'an interface address, any port');
    assert.equal(open.check('::ffff:192.0.2.10', 80, 'x.test'), 'self', 'IPv4-mapped');
    assert.equal(open.check('2001:db8::7', 443, 'x.test'), 'self');
    assert.equal(open.check('0.0.0.0', 8080, 'x.test'), 'self', '0.0.0.0 reaches the host');
    assert.equal(open.check('192.0.2.10', 9153, 'x.test'), 'listener');
    assert.equal(open.check('10.1.1.1', 80, 'x.test'), null, 'denyPrivate off');
    assert.equal(open.check('192.0.2.11', 9153, 'x.test'), null, 'another host may use the same port');
    // The interfaces change (a new pod IP): re-read.
    host = [...host.slice(0, 4), '192.0.2.99'];
    open.refreshHost();
    assert.equal(open.check('192.0.2.10', 80, 'x.test'), null);
    assert.equal(open.check('192.0.2.99', 80, 'x.test'), 'self');

    const guard = new TargetGuard(
      {
        deniedTargets: ['10.9.0.0/16'],
        denyPrivate: true,
        allowInternal: ['127.0.0.1', '10.20.0.0/16', 'intranet.example', '*.corp.example'],
      },
      () => host,
    );
    guard.protectPorts([9153]);
    assert.equal(
      guard.check('127.0.0.1', 9153, 'x.test'),
      'listener',
      'allowInternal never opens a listener',
    );
    assert.equal(guard.check('127.0.0.1', 8080, 'x.test'), null);
    assert.equal(guard.check('127.0.0.2', 8080, 'x.test'), 'self');
    for (const a of [
      '10.1.1.1',
      '172.16.5.5',
      '192.168.1.1',
      '100.64.0.1',
      'fd12::1',
      '169.254.169.254',
      'fe80::1',
    ]) {
      assert.equal(guard.check(a, 80, 'x.test'), 'internal', a);
    }
    assert.equal(guard.check('10.20.3.4', 80, 'x.test'), null, 'allowed CIDR');
    assert.equal(guard.check('10.1.1.1', 80, 'intranet.example'), null, 'allowed name');
    assert.equal(guard.check('10.1.1.1', 80, 'wiki.intranet.example'), null, 'and its subdomains');
    assert.equal(guard.check('10.1.1.1', 80, 'xintranet.example'), 'internal', 'on a label boundary');
    assert.equal(guard.check('10.1.1.1', 80, 'git.corp.example'), null);
    assert.equal(guard.check('10.9.1.1', 80, 'intranet.example'), 'denied', 'deniedTargets wins');
    assert.equal(guard.check('93.184.215.14', 80, 'x.test'), null, 'the internet');
    assert.ok(INTERNAL_RANGES.includes('100.64.0.0/10') && INTERNAL_RANGES.includes('fc00::/7'));
  },
);

void test(
  'proxy.denyPrivate is on by default; allowInternal takes names and CIDRs, and says what is wrong',
  { skip: TOOLS_SKIP },
  () => {
    const ok = proxySchema.parse({
      allowInternal: ['*.corp.example', 'wiki.example.', '10.0.0.0/8', 'fd00::/8'],
    });
    assert.equal(ok.denyPrivate, true);
    for (const bad of ['bad name!', '10.0.0.0/33', 'http://x']) {
      const r = proxySchema.safeParse({ allowInternal: [bad] });
      assert.ok(!r.success, bad);
      assert.match(r.error.issues[0].message, /is not a host name, an IP address or a CIDR/);
    }
  },
);
