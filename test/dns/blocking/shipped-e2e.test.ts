// The shipped lists through the real resolver: a banwall process with the shipped policy in front of
// a fake upstream, asked with dig. Blocked names get NXDOMAIN + EDE 15 for A, AAAA and HTTPS;
// shared parents, store hosts and WeCom resolve; CNAME cloaking and answer IPs are caught, on cache
// hits too; the bypass names fail negatively for every type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dig, digAll, NO_DIG_KDIG } from '../../helpers/dig.ts';
import { assertAnswers } from '../../helpers/dig-assert.ts';
import { banwallSuite } from '../../helpers/banwall-suite.ts';
import { shippedPolicy } from '../../helpers/shipped-policy.ts';
import type { FakeRecord } from '../../helpers/fake-upstream/dns.ts';
import { MUST_BLOCK, MUST_NOT_BLOCK } from '../../policy/fact-sheet-names.ts';

const zone: Record<string, FakeRecord[]> = {};
for (const n of [...MUST_NOT_BLOCK, ...Object.keys(MUST_BLOCK)]) {
  zone[n] = [
    { type: 'A', data: '192.0.2.10', ttl: 300 },
    { type: 'AAAA', data: '2001:db8::10', ttl: 300 },
  ];
}
zone['cloak.test'] = [{ type: 'CNAME', data: 'sgshort.wechat.com', ttl: 300 }];
zone['tracker.test'] = [{ type: 'A', data: '101.32.104.4', ttl: 300 }];
zone['clean.test'] = [{ type: 'A', data: '192.0.2.20', ttl: 300 }];
const suite = banwallSuite(async () => ({ upstream: { zone }, config: await shippedPolicy() }));

void test(
  'each category of each app, the .cn twin and the siblings are blocked (A, AAAA, HTTPS)',
  { skip: NO_DIG_KDIG },
  async () => {
    // Several dig processes at a time: the machine is shared, the test must stay within seconds.
    await Promise.all(
      Object.entries(MUST_BLOCK).map(async ([name, appCategory]) => {
        for (const type of ['A', 'AAAA', 'HTTPS']) {
          const r = await dig(suite.bw.dnsPort, name, type);
          assert.equal(r.status, 'NXDOMAIN', `${name} ${type}`);
          assert.equal(r.answers.length, 0);
          assert.match(r.raw, /AUTHORITY SECTION:[\s\S]*SOA/, `${name}: SOA for negative caching`);
          assert.match(
            r.ede ?? '',
            new RegExp(`15 \\(Blocked\\).*blocked: ${appCategory}`),
            `${name}: ${r.ede}`,
          );
        }
      }),
    );
    assert.ok(!suite.up.queries.some((q) => q.name in MUST_BLOCK), 'blocked names never reach the upstream');
  },
);

void test(
  'shared parents, store hosts, WeCom and banwall’s upstream names resolve',
  { skip: NO_DIG_KDIG },
  async () => {
    for (const [name, r] of await digAll(suite.bw.dnsPort, MUST_NOT_BLOCK, 'A')) {
      assertAnswers(r, ['192.0.2.10'], name);
    }
  },
);

void test(
  'CNAME cloaking and answer IPs are blocked, also on the cached answer',
  { skip: NO_DIG_KDIG },
  async () => {
    for (let i = 0; i < 2; i++) {
      const c = await dig(suite.bw.dnsPort, 'cloak.test', 'A');
      assert.equal(c.status, 'NXDOMAIN');
      assert.match(c.ede ?? '', /wechat/);
      const t = await dig(suite.bw.dnsPort, 'tracker.test', 'A');
      assert.equal(t.status, 'NXDOMAIN');
      assert.match(t.ede ?? '', /wechat\/telemetry/);
    }
    assert.equal((await dig(suite.bw.dnsPort, 'clean.test', 'A')).status, 'NOERROR');
  },
);

void test(
  'the bypass names fail negatively for every type, never with an address',
  { skip: NO_DIG_KDIG },
  async () => {
    for (const name of ['use-application-dns.net', 'mask.icloud.com', '_dns.resolver.arpa']) {
      for (const type of ['A', 'AAAA', 'HTTPS', 'SVCB', 'TXT']) {
        const r = await dig(suite.bw.dnsPort, name, type);
        assert.equal(r.status, 'NXDOMAIN', `${name} ${type}`);
      }
    }
  },
);
