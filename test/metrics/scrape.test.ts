// `promtool check metrics` on a real scrape of a running banwall, after allowed, blocked and proxied
// traffic, and the metric families the issue names are all present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertRcodes, NO_DIG_KDIG } from '../helpers/dig.ts';
import { run, startStack } from './e2e-helpers.ts';
import { curlViaProxy } from '../helpers/curl.ts';
import { ISSUE_METRICS } from './issue-metrics.ts';

const FAMILIES = [
  ...ISSUE_METRICS,
  'process_cpu_user_seconds_total',
  'nodejs_heap_size_used_bytes',
  // Issue 15.2: on by default, so every scrape has them.
  'banwall_canary_ok',
  'banwall_canary_last_success_timestamp_seconds',
];

void test(
  'a scrape of a running banwall passes promtool and has every metric family',
  { skip: NO_DIG_KDIG },
  async (t) => {
    const s = await startStack({}, t);
    await assertRcodes(s.bw.dnsPort, [
      ['allowed.test', 'A', 'NOERROR'],
      ['allowed.test', 'A', 'NOERROR'],
      ['weixin.qq.com', 'AAAA', 'NXDOMAIN'],
      ['dnl-01.upd.kaspersky.com', 'A', 'NXDOMAIN', ['+tcp']],
    ]);
    await curlViaProxy(s.bw.proxyPort!, 'http://weixin.qq.com/');

    const res = await fetch(`${s.base}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const check = await run('promtool', ['check', 'metrics'], { input: text });
    assert.equal(check.code, 0, `promtool check metrics:\n${check.out}`);
    for (const f of FAMILIES) assert.match(text, new RegExp(`^# TYPE ${f} `, 'm'), `${f} is published`);

    assert.match(text, /banwall_dns_blocked_total\{app="wechat",category="core",group="default"\} 1\n/);
    assert.match(text, /banwall_dns_blocked_total\{app="kaspersky",category="update",group="default"\} 1\n/);
    assert.match(text, /banwall_dns_queries_total\{protocol="tcp",qtype="A",result="blocked"\} 1\n/);
    assert.match(text, /banwall_dns_queries_total\{protocol="udp",qtype="AAAA",result="blocked"\} 1\n/);
    assert.match(text, /banwall_dns_queries_total\{protocol="udp",qtype="A",result="(allowed|cached)"\} 1\n/);
    assert.match(text, /banwall_proxy_blocked_total\{app="wechat",category="core",group="default"\} 1\n/);
    // Never a name or a client address in a label.
    assert.doesNotMatch(text, /qq\.com|kaspersky\.com|allowed\.test|client="/);

    const top = (await (await fetch(`${s.base}/api/top`)).json()) as { names: { name: string }[] };
    assert.deepEqual(top.names.map((n) => n.name).sort(), ['dnl-01.upd.kaspersky.com', 'weixin.qq.com']);
  },
);
