// The exported firewall rules are accepted by the real tools: `nft -c -f` and `iptables-restore --test`,
// each run in a throwaway network namespace (`unshare --net`) so the check can never touch the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { PolicySnapshot, RuleRef } from '../../src/policy/snapshot.ts';
import { buildEgressPlan } from '../../src/firewall/egress-plan.ts';
import { renderNftables } from '../../src/firewall/nftables.ts';
import { renderIptables } from '../../src/firewall/iptables.ts';
import { CLI, ROOT } from '../helpers/banwall.ts';

const run = promisify(execFile);

function rule(list: string): RuleRef {
  return {
    list,
    app: 'wechat',
    category: 'core',
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

const hasTool = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

void test('the plan merges policy IP rules with the HTTPDNS facts, once each', () => {
  const plan = buildEgressPlan(policy, ['192.0.2.53', '2001:db8::53']);
  const cidrs = plan.blocked.map((b) => b.cidr);
  assert.ok(cidrs.includes('101.32.118.25/32'));
  assert.ok(cidrs.includes('119.29.29.29/32'), 'Tencent HTTPDNS');
  assert.ok(cidrs.includes('43.132.55.55/32'), 'Tencent Cloud HTTPDNS');
  assert.equal(cidrs.filter((c) => c === '43.130.30.240/32').length, 1, 'no duplicate');
  assert.deepEqual(plan.resolvers, ['192.0.2.53/32', '2001:db8::53/128']);
  assert.ok(plan.dohResolvers.some((d) => d.cidr === '8.8.8.8/32'));
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

void test('banwall export firewall needs to know banwall address when dns.listen is loopback', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-fw-'));
  try {
    const file = path.join(dir, 'banwall.yaml');
    await writeFile(
      file,
      stringify({ dns: { listen: ['127.0.0.1:1053'], upstreams: ['udp://127.0.0.1:9'] } }),
    );
    const r = spawnSync(process.execPath, [CLI, 'export', 'firewall', '--config', file], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 15_000,
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--resolver/);
    assert.equal(r.stdout, '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

void test('banwall export firewall prints rules from the compiled policy of a config', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-fw-'));
  try {
    await writeFile(path.join(dir, 'ips.txt'), '# test IP rules\n203.0.113.7\n198.51.100.0/24\n');
    const file = path.join(dir, 'banwall.yaml');
    await writeFile(
      file,
      stringify({
        dns: { listen: ['127.0.0.1:1053'], upstreams: ['udp://127.0.0.1:9'] },
        lists: [{ name: 'test-ips', app: 'wechat', category: 'core', source: 'ips.txt' }],
        groups: [{ name: 'default', lists: ['test-ips'] }],
      }),
    );
    const { stdout } = await run(
      process.execPath,
      [CLI, 'export', 'firewall', '--format', 'nftables', '--resolver', '192.0.2.53', '--config', file],
      { cwd: ROOT, timeout: 15_000 },
    );
    assert.match(stdout, /203\.0\.113\.7\/32/);
    assert.match(stdout, /198\.51\.100\.0\/24/);
    assert.match(stdout, /192\.0\.2\.53\/32/);
    const r = inNetns(['nft', '-c', '-f', '-'], stdout);
    if (r !== null) assert.equal(r.status, 0, r.stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
