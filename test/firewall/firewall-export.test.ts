// The exported firewall rules are accepted by the real tools: `nft -c -f` and `iptables-restore --test`,
// each run in a throwaway network namespace (`unshare --net`) so the check can never touch the host.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { PolicySnapshot, RuleRef } from '../../src/policy/snapshot.ts';
import { buildEgressPlan } from '../../src/firewall/egress-plan.ts';
import { renderNftables } from '../../src/firewall/nftables.ts';
import { renderIptables } from '../../src/firewall/iptables.ts';
import { CLI, ROOT } from '../helpers/banwall.ts';
import { hasTool } from '../helpers/tools.ts';
import { tempDir } from '../helpers/temp-dir.ts';

function rule(list: string, category: RuleRef['category'] = 'core'): RuleRef {
  return {
    list,
    app: category === 'bypass' ? 'bypass' : 'wechat',
    category,
    source: 'test',
    line: 1,
    rule: 'x',
    action: { kind: 'nxdomain' },
  };
}

const policy = {
  generation: 1,
  ipRules: () => [
    { cidr: '101.32.118.25', rule: rule('wechat-ips') },
    { cidr: '101.32.104.4/32', rule: rule('wechat-ips') },
    { cidr: '43.130.30.240', rule: rule('wechat-ips') },
    { cidr: '2001:db8:1::/48', rule: rule('v6-test') },
  ],
} as unknown as PolicySnapshot;

/** Runs `cmd` in a new network namespace, or returns null when this machine cannot make one. */
function inNetns(cmd: string[], input: string): { status: number | null; stderr: string } | null {
  const probe = spawnSync('unshare', ['--net', 'true']);
  if (probe.status !== 0) return null;
  const r = spawnSync('unshare', ['--net', ...cmd], { input, encoding: 'utf8', timeout: 10_000 });
  if (r.error) return null;
  return { status: r.status, stderr: r.stderr };
}

void test('the plan merges policy IP rules with the HTTPDNS facts, once each', () => {
  const plan = buildEgressPlan(policy, ['192.0.2.53', '2001:db8::53']);
  const cidrs = plan.blocked.map((b) => b.cidr);
  assert.ok(cidrs.includes('101.32.118.25/32'));
  assert.ok(cidrs.includes('119.29.29.29/32'), 'Tencent HTTPDNS');
  assert.ok(cidrs.includes('43.132.55.55/32'), 'Tencent Cloud HTTPDNS');
  assert.equal(cidrs.filter((c) => c === '43.130.30.240/32').length, 1, 'no duplicate');
  assert.deepEqual(plan.resolvers, ['192.0.2.53/32', '2001:db8::53/128']);
  assert.ok(plan.publicResolvers.some((d) => d.cidr === '8.8.8.8/32'));
});

void test('nftables output passes nft -c', (t) => {
  if (!hasTool('nft')) return t.skip('nft not installed (Debian package nftables)');
  const text = renderNftables(buildEgressPlan(policy, ['192.0.2.53', '2001:db8::53']), ['test']);
  assert.match(text, /th dport \{ 53, 853 \} counter drop/);
  const r = inNetns(['nft', '-c', '-f', '-'], text);
  if (r === null) return t.skip('cannot create a network namespace here (needs root or user namespaces)');
  assert.equal(r.status, 0, r.stderr);
});

void test('nftables output with no IPv6 resolver and no policy IPs still passes nft -c', (t) => {
  if (!hasTool('nft')) return t.skip('nft not installed');
  const empty = { generation: 1, ipRules: () => [] } as unknown as PolicySnapshot;
  const r = inNetns(['nft', '-c', '-f', '-'], renderNftables(buildEgressPlan(empty, ['192.0.2.53']), []));
  if (r === null) return t.skip('cannot create a network namespace here');
  assert.equal(r.status, 0, r.stderr);
});

void test('iptables and ip6tables output pass iptables-restore --test', (t) => {
  if (!hasTool('iptables-restore')) return t.skip('iptables-restore not installed');
  const plan = buildEgressPlan(policy, ['192.0.2.53', '2001:db8::53']);
  const v4 = inNetns(['iptables-restore', '--test'], renderIptables(plan, 4, ['test']));
  if (v4 === null) return t.skip('cannot create a network namespace here');
  assert.equal(v4.status, 0, v4.stderr);
  const v6 = inNetns(['ip6tables-restore', '--test'], renderIptables(plan, 6, ['test']));
  assert.equal(v6?.status, 0, v6?.stderr);
});

/** Runs `banwall export firewall ARGS --config CONFIG`; never throws on a non-zero exit. */
function exportFirewall(config: string, args: readonly string[]) {
  return spawnSync(process.execPath, [CLI, 'export', 'firewall', ...args, '--config', config], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

/** The elements of one nft set, as text. */
function nftSet(text: string, name: string): string {
  const m = new RegExp(`set ${name} \\{([\\s\\S]*?)\\n  \\}`).exec(text);
  assert.ok(m, `set ${name} present`);
  return m[1];
}

/**
 * A banwall.yaml with loopback DNS (so no banwall address can be guessed), `extra` sections and the
 * list `files` beside it, in a directory removed when the test ends; resolves with the config's path.
 */
async function loopbackConfig(
  t: TestContext,
  extra: Record<string, unknown> = {},
  files: Record<string, string> = {},
): Promise<string> {
  const dir = await tempDir(t, 'banwall-fw-');
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  const file = path.join(dir, 'banwall.yaml');
  await writeFile(
    file,
    stringify({ dns: { listen: ['127.0.0.1:1053'], upstreams: ['udp://127.0.0.1:9'] }, ...extra }),
  );
  return file;
}

void test('banwall export firewall needs to know banwall address when dns.listen is loopback', async (t) => {
  const r = exportFirewall(await loopbackConfig(t), []);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--resolver/);
  assert.equal(r.stdout, '');
});

void test('banwall export firewall prints rules from the compiled policy of a config', async (t) => {
  const file = await loopbackConfig(
    t,
    {
      lists: [{ name: 'test-ips', app: 'wechat', category: 'core', source: 'ips.txt' }],
      groups: [{ name: 'default', lists: ['test-ips'] }],
    },
    { 'ips.txt': '# test IP rules\n203.0.113.7\n198.51.100.0/24\n' },
  );
  // IPv4 only: --family ipv4 says so (without it the export refuses, see below).
  const exported = exportFirewall(file, [
    '--format',
    'nftables',
    '--resolver',
    '192.0.2.53',
    '--family',
    'ipv4',
  ]);
  assert.equal(exported.status, 0, exported.stderr);
  const stdout = exported.stdout;
  assert.match(stdout, /203\.0\.113\.7\/32/);
  assert.match(stdout, /198\.51\.100\.0\/24/);
  assert.match(stdout, /192\.0\.2\.53\/32/);
  assert.doesNotMatch(stdout, /ip6 daddr/, '--family ipv4 writes no IPv6 rule');
  assert.match(stdout, /meta nfproto ipv4 meta l4proto \{ tcp, udp \} th dport \{ 53, 853 \} counter drop/);
  if (!hasTool('nft')) return t.skip('nft not installed (Debian package nftables): syntax not checked');
  const r = inNetns(['nft', '-c', '-f', '-'], stdout);
  if (r === null) return t.skip('cannot create a network namespace here');
  assert.equal(r.status, 0, r.stderr);
});

void test('a family without a banwall address is refused, not silently dropped (issue 13)', async (t) => {
  const file = await loopbackConfig(t);
  const v4 = exportFirewall(file, ['--format', 'iptables', '--resolver', '2001:db8::53']);
  assert.equal(v4.status, 2, v4.stderr);
  assert.match(v4.stderr, /no IPv4 address of banwall/);
  assert.equal(v4.stdout, '');
  const v6 = exportFirewall(file, ['--format', 'ip6tables', '--resolver', '192.0.2.53']);
  assert.equal(v6.status, 2);
  assert.match(v6.stderr, /no IPv6 address/);
  const nft = exportFirewall(file, ['--resolver', '192.0.2.53']);
  assert.equal(nft.status, 2);
  assert.match(nft.stderr, /--family ipv4/);
  const bad = exportFirewall(file, [
    '--format',
    'iptables',
    '--family',
    'ipv6',
    '--resolver',
    '2001:db8::53',
  ]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /IPv4 rules only/);
  const ok = exportFirewall(file, ['--family', 'ipv6', '--resolver', '2001:db8::53']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.doesNotMatch(ok.stdout, /\bip daddr/);
});

void test("the plan exempts banwall's upstreams from every drop set and keeps resolvers to DNS ports", () => {
  const p = {
    generation: 1,
    ipRules: () => [
      { cidr: '8.8.8.8', rule: rule('resolvers', 'bypass') },
      { cidr: '9.9.9.9', rule: rule('resolvers', 'bypass') },
      { cidr: '76.76.2.0/24', rule: rule('resolvers', 'bypass') },
      { cidr: '119.29.29.29', rule: rule('resolvers', 'bypass') },
      { cidr: '101.32.118.25', rule: rule('wechat-ips') },
    ],
  } as unknown as PolicySnapshot;
  const plan = buildEgressPlan(
    p,
    ['192.0.2.53'],
    [
      { address: '9.9.9.9', why: 'upstream' },
      { address: '149.112.121.10', why: 'upstream' },
      { address: '76.76.2.11', why: 'upstream' },
    ],
  );
  const pub = plan.publicResolvers.map((b) => b.cidr);
  const blocked = plan.blocked.map((b) => b.cidr);
  assert.ok(pub.includes('8.8.8.8/32'), 'a bypass-list resolver is closed on its DNS ports');
  assert.ok(!pub.includes('9.9.9.9/32') && !blocked.includes('9.9.9.9/32'), "banwall's DoH upstream");
  assert.ok(!blocked.includes('8.8.8.8/32'), 'resolvers are not dropped on every port');
  assert.ok(blocked.includes('101.32.118.25/32'), 'banned-app servers are');
  assert.ok(blocked.includes('119.29.29.29/32') && !pub.includes('119.29.29.29/32'), 'HTTPDNS: every port');
  assert.deepEqual(
    plan.upstreams.map((u) => u.cidr),
    ['9.9.9.9/32', '149.112.121.10/32', '76.76.2.11/32'],
  );
  assert.deepEqual(plan.shadowedUpstreams, ['76.76.2.11'], 'inside 76.76.2.0/24: banwall-only exemption');
  const text = renderNftables(plan, []);
  assert.match(text, /th dport \{ 53, 443, 853 \} ip saddr @resolvers4 ip daddr @upstreams4 accept/);
  assert.ok(
    text.indexOf('@upstreams4 accept') < text.indexOf('@blocked4 counter drop'),
    "banwall's own upstream traffic is accepted before any drop",
  );
});

void test("the shipped config's export: resolver set minus banwall's upstreams, QUIC dropped, accepted by nft and iptables-restore", async (t) => {
  const shipped = 'config/banwall.yaml';
  const base = ['--resolver', '192.0.2.53', '--resolver', '2001:db8::53', '--drop-quic'];
  const nft = exportFirewall(shipped, base);
  assert.equal(nft.status, 0, nft.stderr);
  const pub4 = nftSet(nft.stdout, 'publicdns4');
  const pub6 = nftSet(nft.stdout, 'publicdns6');
  for (const ip of [
    '8.8.8.8/32',
    '1.1.1.1/32',
    '94.140.14.14/32',
    '208.67.222.222/32',
    '76.76.2.0/24',
    '9.9.9.10/32',
  ]) {
    assert.ok(pub4.includes(ip), `${ip} in the public resolver set`);
  }
  for (const ip of ['2001:4860:4860::8888/128', '2606:4700:4700::1111/128']) assert.ok(pub6.includes(ip), ip);
  // banwall's own upstreams (config/banwall.yaml dns.upstreams) are in no drop set, only in upstreams4.
  const drops = ['blocked4', 'publicdns4'].map((s) => nftSet(nft.stdout, s)).join('\n');
  for (const ip of ['9.9.9.9/32', '149.112.112.112/32', '149.112.121.10/32', '149.112.122.10/32']) {
    assert.ok(!drops.includes(ip), `${ip} is banwall's upstream: never in a drop set`);
    assert.ok(nftSet(nft.stdout, 'upstreams4').includes(ip), `${ip} exempt`);
  }
  assert.ok(nftSet(nft.stdout, 'blocked4').includes('101.32.104.4/32'), 'WeChat servers: every port');
  assert.match(nft.stdout, /# QUIC \(HTTP\/3, UDP 443\) is dropped: the HTTP proxy only sees TCP/);
  assert.match(nft.stdout, /udp dport 443 counter drop comment "banwall: QUIC bypasses the proxy"/);

  const v4 = exportFirewall(shipped, ['--format', 'iptables', '--resolver', '192.0.2.53', '--drop-quic']);
  assert.equal(v4.status, 0, v4.stderr);
  assert.match(v4.stdout, /-A BANWALL-EGRESS -p udp --dport 443 .*-j DROP/);
  assert.match(v4.stdout, /-d 8\.8\.8\.8\/32 .*encrypted DNS to a public resolver/);
  assert.doesNotMatch(v4.stdout, /-d 9\.9\.9\.9\/32 .*-j DROP/);
  assert.match(v4.stdout, /-s 192\.0\.2\.53\/32 -d 9\.9\.9\.9\/32 .*-j RETURN/);
  const v6 = exportFirewall(shipped, ['--format', 'ip6tables', '--resolver', '2001:db8::53', '--drop-quic']);
  assert.equal(v6.status, 0, v6.stderr);

  if (!hasTool('nft') || !hasTool('iptables-restore')) {
    return t.skip('nft or iptables-restore not installed (Debian nftables, iptables): syntax not checked');
  }
  const checks = [
    inNetns(['nft', '-c', '-f', '-'], nft.stdout),
    inNetns(['iptables-restore', '--test'], v4.stdout),
    inNetns(['ip6tables-restore', '--test'], v6.stdout),
  ];
  if (checks.some((c) => c === null)) return t.skip('cannot create a network namespace here');
  for (const c of checks) assert.equal(c?.status, 0, c?.stderr);
});
