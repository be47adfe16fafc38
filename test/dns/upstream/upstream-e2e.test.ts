// The upstream link inside a real banwall process, asked with dig: record types, TC → TCP upstream
// retry, failover past a silent upstream, a conditional-forward zone, a DoH and a DoT forward zone,
// SERVFAIL + EDE when a zone's only upstream is silent, and the upstream metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream/dns.ts';
import { startBanwall, testConfig, type RunningBanwall } from '../../helpers/banwall.ts';
import { dig, NO_DIG_KDIG } from '../../helpers/dig.ts';
import { assertAnswers } from '../../helpers/dig-assert.ts';
import {
  makeSelfSigned,
  startDohServer,
  startDotServer,
  TLS_NAME,
  type SelfSigned,
  type TestServer,
} from '../../helpers/fake-upstream/encrypted.ts';

import { missingTools } from '../../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('dig', 'kdig', 'openssl');

let dead: FakeUpstream;
let good: FakeUpstream;
let corp: FakeUpstream;
let silent: FakeUpstream;
let tlsFiles: SelfSigned;
let doh: TestServer;
let dot: TestServer;
let bw: RunningBanwall;

before(async () => {
  if (TOOLS_SKIP) return; // every test here skips
  dead = await startFakeUpstream();
  dead.mode = 'silent';
  good = await startFakeUpstream({
    zone: {
      'a.test': [
        { type: 'A', data: '192.0.2.1' },
        { type: 'AAAA', data: '2001:db8::1' },
        { type: 'MX', data: '10 mail.a.test' },
        { type: 'TXT', data: 'v=spf1 -all' },
      ],
      'www.test': [{ type: 'CNAME', data: 'a.test' }],
      'big.test': Array.from({ length: 12 }, (_, i) => ({
        type: 'TXT' as const,
        data: `${i}`.padEnd(200, 'x'),
      })),
    },
    udpLimit: 1232,
  });
  corp = await startFakeUpstream({ zone: { 'host.corp.internal': [{ type: 'A', data: '10.1.2.3' }] } });
  silent = await startFakeUpstream();
  silent.mode = 'silent';
  tlsFiles = await makeSelfSigned();
  doh = await startDohServer(tlsFiles);
  dot = await startDotServer(tlsFiles);
  bw = await startBanwall(
    testConfig([dead.url, good.url], {
      dns: {
        timeout: '700ms',
        forward: {
          'corp.internal': [corp.url],
          'down.internal': [silent.url],
          'doh.internal': [`https://127.0.0.1:${doh.port}/dns-query#${TLS_NAME}`],
          'dot.internal': [`tls://127.0.0.1:${dot.port}#${TLS_NAME}`],
        },
      },
    }),
    { env: { NODE_EXTRA_CA_CERTS: tlsFiles.certFile } },
  );
});

after(async () => {
  if (TOOLS_SKIP) return;
  await bw?.stop();
  await Promise.all([dead, good, corp, silent, doh, dot].map((s) => s?.close()));
  await rm(tlsFiles.dir, { recursive: true, force: true });
});

void test(
  'A, AAAA, CNAME, MX and TXT through the upstream link, past a silent upstream',
  { skip: NO_DIG_KDIG },
  async () => {
    assertAnswers(await dig(bw.dnsPort, 'a.test', 'A'), ['192.0.2.1']);
    assertAnswers(await dig(bw.dnsPort, 'a.test', 'AAAA'), ['2001:db8::1']);
    assertAnswers(await dig(bw.dnsPort, 'a.test', 'MX'), ['10 mail.a.test.']);
    assertAnswers(await dig(bw.dnsPort, 'a.test', 'TXT'), ['"v=spf1 -all"']);
    const cname = await dig(bw.dnsPort, 'www.test', 'A');
    assert.ok(cname.answers.some((a) => a.type === 'CNAME' && a.data === 'a.test.'));
    assert.ok(cname.answers.some((a) => a.type === 'A' && a.data === '192.0.2.1'));
    assert.ok(good.queries.length >= 5);
  },
);

void test(
  'a large answer: the upstream truncates over UDP, banwall asks it again over TCP',
  { skip: NO_DIG_KDIG },
  async () => {
    const res = await dig(bw.dnsPort, 'big.test', 'TXT', ['+tcp']);
    assert.equal(res.status, 'NOERROR');
    assert.equal(res.answers.length, 12);
    const big = good.queries.filter((q) => q.name === 'big.test');
    assert.deepEqual(
      big.map((q) => q.protocol),
      ['udp', 'tcp'],
    );
  },
);

void test('conditional forwarding, DoH and DoT zones', { skip: TOOLS_SKIP || NO_DIG_KDIG }, async () => {
  assertAnswers(await dig(bw.dnsPort, 'host.corp.internal', 'A'), ['10.1.2.3']);
  assert.equal(good.queries.filter((q) => q.name.endsWith('corp.internal')).length, 0);
  assertAnswers(await dig(bw.dnsPort, 'x.doh.internal', 'A'), ['192.0.2.53']);
  assertAnswers(await dig(bw.dnsPort, 'x.dot.internal', 'A'), ['192.0.2.53']);
});

void test(
  'a zone whose only upstream is silent: SERVFAIL with EDE 22',
  { skip: TOOLS_SKIP || NO_DIG_KDIG },
  async () => {
    const res = await dig(bw.dnsPort, 'x.down.internal', 'A');
    assert.equal(res.status, 'SERVFAIL');
    assert.match(res.ede ?? '', /^22/);
  },
);

void test('upstream metrics are published', { skip: TOOLS_SKIP || NO_DIG_KDIG }, async () => {
  const res = await fetch(`http://127.0.0.1:${bw.httpPort}/metrics`);
  const text = await res.text();
  assert.match(
    text,
    new RegExp(`banwall_dns_upstream_requests_total\\{upstream="${good.url}",rcode="NOERROR"\\} [1-9]`),
  );
  assert.match(
    text,
    /banwall_dns_upstream_duration_seconds_bucket\{upstream="udp:\/\/127\.0\.0\.1:\d+",le="0\.005"\}/,
  );
  assert.match(text, new RegExp(`banwall_dns_upstream_healthy\\{upstream="${good.url}"\\} 1`));
  assert.match(
    text,
    new RegExp(`banwall_dns_upstream_errors_total\\{upstream="${silent.url}",reason="timeout"\\} [1-9]`),
  );
});
