// Units of TLS interception: which hosts are decrypted (hasUrlRules per client group, the configured
// list), the Host check inside a tunnel, the CA checks and the leaf cache (one leaf per name, short-lived,
// bounded, signed by the CA for that name only).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { loadInterceptCa } from '../../src/proxy/intercept/ca.ts';
import { LeafCache, LEAF_LIFETIME_MS } from '../../src/proxy/intercept/leaf-cache.ts';
import { inHostList, Interceptor } from '../../src/proxy/intercept/interceptor.ts';
import { ProxyStats } from '../../src/proxy/proxy-stats.ts';
import type { ProxyContext } from '../../src/proxy/context.ts';
import type { HttpForwarder } from '../../src/proxy/http-forwarder.ts';
import { fakePolicy, rule } from './fixtures.ts';
import { hostMatches } from '../../src/proxy/intercept/decisions.ts';
import { isCertificateError } from '../../src/proxy/intercept/origin-agent.ts';
import { proxySchema } from '../../src/proxy/config.ts';
import { storeFor } from '../policy/policy-helpers.ts';
import { issueLeaf, makeCa, type Pem } from '../helpers/certs.ts';

import { missingTools } from '../helpers/tools.ts';
import { tempDir } from '../helpers/temp-dir.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('openssl');

/** A scratch directory holding `ca.pem` and `ca.key`, a test CA; removed when the test ends. */
async function dirWithCa(t: TestContext, prefix: string): Promise<{ dir: string; ca: Pem }> {
  const dir = await tempDir(t, prefix);
  return { dir, ca: await makeCa(dir, 'ca', 'unit CA') };
}

void test(
  'hasUrlRules: hosts named by a block URL rule of the client’s group, not `url *`, not allow rules',
  { skip: TOOLS_SKIP },
  async () => {
    const { store, dir } = await storeFor(
      [
        {
          name: 'stores',
          text: 'url apps.apple.com /**/id414478124|\nurl =dldir1.qq.com /weixin/\nurl * /cgi-bin/x\n',
        },
        { name: 'other', text: 'url files.example /weixin/\n@@url =ok.example /x\n' },
      ],
      {
        groups: [
          { name: 'default', clients: [], lists: ['stores', 'other'] },
          { name: 'servers', clients: ['10.9.0.0/16'], lists: ['other'] },
        ],
      },
    );
    try {
      const p = store.current;
      assert.equal(p.hasUrlRules('apps.apple.com', '10.0.0.1'), true);
      assert.equal(p.hasUrlRules('eu.apps.apple.com', '10.0.0.1'), true, 'a suffix rule covers subdomains');
      assert.equal(p.hasUrlRules('dldir1.qq.com', '10.0.0.1'), true);
      assert.equal(p.hasUrlRules('x.dldir1.qq.com', '10.0.0.1'), false, '=name is that name only');
      assert.equal(p.hasUrlRules('qq.com', '10.0.0.1'), false);
      assert.equal(p.hasUrlRules('example.org', '10.0.0.1'), false, '`url *` rules never decrypt everything');
      assert.equal(p.hasUrlRules('ok.example', '10.0.0.1'), false, 'an allow rule needs no URL');
      assert.equal(p.hasUrlRules('apps.apple.com', '10.9.1.1'), false, 'a group without the list');
      assert.equal(p.hasUrlRules('files.example', '10.9.1.1'), true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);

void test(
  'proxy.intercept.hosts: names and their subdomains; junk and addresses refused',
  { skip: TOOLS_SKIP },
  () => {
    const cfg = proxySchema.parse({
      intercept: { ca: { cert: 'c', key: 'k' }, hosts: ['*.Example.COM', 'a.test.'] },
    });
    assert.deepEqual(cfg.intercept?.hosts, ['example.com', 'a.test']);
    assert.equal(cfg.intercept?.maxLeaves, 1000);
    assert.deepEqual(cfg.intercept?.exclude, []);
    assert.equal(proxySchema.parse({}).intercept, undefined, 'off when absent');
    assert.throws(() =>
      proxySchema.parse({ intercept: { ca: { cert: 'c', key: 'k' }, hosts: ['10.0.0.1'] } }),
    );
    assert.throws(() => proxySchema.parse({ intercept: { ca: { cert: 'c' } } }));
    assert.equal(inHostList(['example.com'], 'example.com'), true);
    assert.equal(inHostList(['example.com'], 'www.example.com'), true);
    assert.equal(inHostList(['example.com'], 'badexample.com'), false);
    assert.equal(inHostList(['example.com'], 'com'), false);
  },
);

void test('inside a tunnel, Host must name the tunnel’s host and port', { skip: TOOLS_SKIP }, () => {
  assert.equal(hostMatches('apps.apple.com', 'apps.apple.com', 443), true);
  assert.equal(hostMatches('Apps.Apple.COM.', 'apps.apple.com', 443), true);
  assert.equal(hostMatches('apps.apple.com:443', 'apps.apple.com', 443), true);
  assert.equal(hostMatches('apps.apple.com:8443', 'apps.apple.com', 443), false);
  assert.equal(hostMatches('dldir1.qq.com', 'apps.apple.com', 443), false);
  assert.equal(hostMatches('apps.apple.com.evil', 'apps.apple.com', 443), false);
  assert.equal(hostMatches('', 'apps.apple.com', 443), false);
});

void test(
  'the CA is checked at start: not a CA, or a key of another certificate, is refused',
  { skip: TOOLS_SKIP },
  async (t) => {
    const { dir, ca } = await dirWithCa(t, 'banwall-ca-');
    await makeCa(dir, 'other', 'other CA');
    await issueLeaf(dir, 'leaf', ca, ['x.test']);
    await assert.doesNotReject(loadInterceptCa(dir, 'ca.pem', 'ca.key'));
    await assert.rejects(loadInterceptCa(dir, 'leaf.pem', 'leaf.key'), /not a CA certificate/);
    await assert.rejects(loadInterceptCa(dir, 'ca.pem', 'other.key'), /is not the key of/);
    await assert.rejects(loadInterceptCa(dir, 'missing.pem', 'ca.key'), /ca\.cert: cannot read .*ENOENT/);
    await assert.rejects(loadInterceptCa(dir, 'ca.key', 'ca.key'), /ca\.cert .*not a PEM/);
  },
);

void test(
  'leaves: one per name, for that name only, 24 h, cached, bounded, renewed before expiry',
  { skip: TOOLS_SKIP },
  async (t) => {
    const { dir, ca: caPem } = await dirWithCa(t, 'banwall-leaf-');
    const ca = await loadInterceptCa(dir, 'ca.pem', 'ca.key');
    let now = Date.now();
    const cache = new LeafCache(ca, 2, () => now);
    const a = await cache.context('apps.apple.com');
    assert.equal(await cache.context('apps.apple.com'), a, 'cached');
    assert.equal(cache.minted, 1);
    // The certificate in the context: issued by the CA, for the name, not a CA, about 24 h.
    const leaf = new X509Certificate(
      (a as unknown as { context: { getCertificate(): Buffer } }).context.getCertificate(),
    );
    const caCert = new X509Certificate(caPem.cert);
    assert.ok(leaf.checkIssued(caCert) && leaf.verify(caCert.publicKey));
    assert.equal(leaf.checkHost('apps.apple.com'), 'apps.apple.com');
    assert.equal(leaf.checkHost('other.apple.com'), undefined);
    assert.equal(leaf.ca, false);
    assert.equal(leaf.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const life = leaf.validToDate.getTime() - leaf.validFromDate.getTime();
    assert.ok(life <= LEAF_LIFETIME_MS + 3600_000 + 1000, `lifetime ${life} ms`);
    await cache.context('dldir1.qq.com');
    await cache.context('play.google.com');
    assert.equal(cache.size, 2, 'bounded');
    assert.equal(cache.has('apps.apple.com'), false, 'the least recently used went first');
    now += LEAF_LIFETIME_MS;
    const before = cache.minted;
    await cache.context('play.google.com');
    assert.equal(cache.minted, before + 1, 'a leaf near its expiry is replaced');
  },
);

void test(
  'which CONNECTs are decrypted: URL-rule hosts by default, `hosts` instead, `exclude` never',
  { skip: TOOLS_SKIP },
  async (t) => {
    const { dir } = await dirWithCa(t, 'banwall-classify-');
    const policy = fakePolicy({
      urls: [
        {
          host: 'apps.apple.com',
          pathPrefix: '/x',
          rule: rule('wechat', 'app-store', 'url apps.apple.com /x'),
        },
      ],
    });
    const make = async (intercept: Record<string, unknown>) => {
      const cfg = proxySchema.parse({ intercept: { ca: { cert: 'ca.pem', key: 'ca.key' }, ...intercept } });
      const ctx = { cfg, policy, stats: new ProxyStats() } as unknown as ProxyContext;
      return Interceptor.create(ctx, cfg.intercept!, dir, {} as HttpForwarder);
    };
    const byRules = await make({});
    assert.equal(byRules.classify('apps.apple.com', '10.0.0.1'), 'url-rules');
    assert.equal(byRules.classify('example.org', '10.0.0.1'), null);
    const listed = await make({ hosts: ['dldir1.qq.com'] });
    assert.equal(listed.classify('dldir1.qq.com', '10.0.0.1'), 'configured');
    assert.equal(listed.classify('apps.apple.com', '10.0.0.1'), null, '`hosts` replaces the URL-rule hosts');
    const excluded = await make({ exclude: ['apple.com'] });
    assert.equal(excluded.classify('apps.apple.com', '10.0.0.1'), null, 'exclude wins, with subdomains');
  },
);

void test('certificate failures are told apart from network failures', { skip: TOOLS_SKIP }, () => {
  const e = (code: string) => Object.assign(new Error(code), { code });
  for (const code of [
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'CERT_REVOKED',
  ])
    assert.equal(isCertificateError(e(code)), true, code);
  for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ERR_SSL_WRONG_VERSION_NUMBER'])
    assert.equal(isCertificateError(e(code)), false, code);
});
