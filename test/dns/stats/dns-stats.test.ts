import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DnsAnswer, DnsQuery, Resolver } from '../../../src/dns/resolver.ts';
import type { BlockMatch, RuleRef } from '../../../src/policy/snapshot.ts';
import { DnsStats } from '../../../src/dns/stats/dns-stats.ts';
import { StatsResolver } from '../../../src/dns/stats/stats-resolver.ts';
import { registerDnsStatsMetrics } from '../../../src/dns/stats/metrics.ts';
import { registry } from '../../../src/metrics/registry.ts';
import { dnsQuery } from '../../helpers/dns-query.ts';

function query(name: string, qtype: number, client = '127.0.0.1'): DnsQuery {
  return dnsQuery(name, qtype, { client, id: 1 });
}

const rule: RuleRef = {
  list: 'wechat-core',
  app: 'wechat',
  category: 'core',
  source: 'blocklists/wechat/core.txt',
  line: 3,
  rule: 'weixin.qq.com',
  action: { kind: 'nxdomain' },
};
const block: BlockMatch = { rule, group: 'default' };
const WIRE = Buffer.alloc(12);

void test('StatsResolver stays synchronous for synchronous answers and counts them', async () => {
  const stats = new DnsStats();
  const next: Resolver = {
    resolve: (q) =>
      q.name.endsWith('weixin.qq.com')
        ? { wire: WIRE, result: 'blocked', block }
        : q.name === 'slow.test'
          ? Promise.resolve<DnsAnswer>({ wire: WIRE, result: 'allowed' })
          : { wire: WIRE, result: 'cached' },
  };
  const r = new StatsResolver(next, stats);
  const hit = r.resolve(query('example.test', 1));
  assert.ok(!(hit instanceof Promise), 'a synchronous answer must not become a promise');
  void r.resolve(query('long.weixin.qq.com', 28, '10.0.0.7'));
  void r.resolve(query('weixin.qq.com', 65, '10.0.0.7'));
  void r.resolve(query('x.test', 99));
  const slow = r.resolve(query('slow.test', 1));
  assert.ok(slow instanceof Promise);
  await slow;

  assert.equal(stats.total('cached'), 2);
  assert.equal(stats.total('blocked'), 2);
  assert.equal(stats.total('allowed'), 1);
  assert.equal(stats.blocked.get('wechat')?.get('core')?.get('default')?.n, 2);
  assert.deepEqual(
    stats.topBlockedClients.top(5, performance.now()).map((e) => [e.key, e.count]),
    [['10.0.0.7', 2]],
  );

  registerDnsStatsMetrics(stats);
  const text = await registry.metrics();
  assert.match(text, /banwall_dns_queries_total\{protocol="udp",qtype="AAAA",result="blocked"\} 1/);
  assert.match(text, /banwall_dns_queries_total\{protocol="udp",qtype="HTTPS",result="blocked"\} 1/);
  assert.match(text, /banwall_dns_queries_total\{protocol="udp",qtype="other",result="cached"\} 1/);
  assert.match(text, /banwall_dns_blocked_total\{app="wechat",category="core",group="default"\} 2/);
  assert.match(text, /banwall_dns_request_duration_seconds_bucket\{result="cached",le="\+Inf"\} 2/);
  assert.match(text, /banwall_dns_request_duration_seconds_count\{result="allowed"\} 1/);
  assert.doesNotMatch(text, /weixin\.qq\.com|10\.0\.0\.7/, 'names and clients never become labels');
});

void test('a throwing or rejecting chain propagates, uncounted (the front end counts its SERVFAIL)', async () => {
  const stats = new DnsStats();
  const r = new StatsResolver(
    {
      resolve: (q) => {
        if (q.name === 'throw.test') throw new Error('boom');
        return Promise.reject(new Error('later'));
      },
    },
    stats,
  );
  assert.throws(() => r.resolve(query('throw.test', 1)), /boom/);
  await assert.rejects(Promise.resolve(r.resolve(query('reject.test', 1))), /later/);
  assert.equal(stats.total('servfail'), 0);
  stats.recordFrontend('udp', 'servfail', 1);
  stats.recordFrontend('tcp', 'formerr', 0);
  assert.equal(stats.total('servfail'), 1);
  assert.equal(stats.total('formerr'), 1);
});
