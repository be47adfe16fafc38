// Issue 13: a downstream cache turned banwall's NXDOMAIN into NOERROR. The SOA of a block answer was
// owned by the blocked name, which tells a cache that the name exists (it is a zone apex); dnsmasq
// then answered the second query, and the same name in other letter case, NOERROR from its cache.
// Real dnsmasq and real Unbound forward to a real banwall here; every answer, first or cached, in
// any case, for a name, its subdomain and the name after its subdomain, keeps banwall's rcode:
// NXDOMAIN for an `nxdomain` list, NOERROR without records (NODATA) for a `nodata` list.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dig } from '../../helpers/dig.ts';
import { banwallSuite } from '../../helpers/banwall-suite.ts';
import { hasTool, missingTools } from '../../helpers/tools.ts';

/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('dig', 'kdig');

let dir: string;
const procs: ChildProcess[] = [];

/** A free UDP port on loopback (the tool binds TCP on it too; a clash shows as a start failure). */
async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Waits until a DNS server on `port` answers. */
async function waitForDns(port: number, proc: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
    try {
      const r = await dig(port, 'ready.test', 'A', ['+time=1']);
      if (r.status !== 'NONE') return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start`);
}

async function startDnsmasq(): Promise<number> {
  const port = await freePort();
  const p = spawn(
    'dnsmasq',
    [
      '-k',
      '--no-resolv',
      '--no-hosts',
      `--server=127.0.0.1#${suite.bw.dnsPort}`,
      '-p',
      String(port),
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--pid-file=${path.join(dir, 'dnsmasq.pid')}`,
      ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    ],
    { stdio: 'ignore' },
  );
  procs.push(p);
  await waitForDns(port, p, 'dnsmasq');
  return port;
}

async function startUnbound(): Promise<number> {
  const port = await freePort();
  const conf = path.join(dir, 'unbound.conf');
  await writeFile(
    conf,
    [
      'server:',
      `  interface: 127.0.0.1@${port}`,
      `  port: ${port}`,
      '  do-not-query-localhost: no',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${dir}"`,
      '  pidfile: ""',
      '  use-syslog: no',
      '  module-config: "iterator"',
      '  verbosity: 0',
      'remote-control:',
      '  control-enable: no',
      'forward-zone:',
      '  name: "."',
      `  forward-addr: 127.0.0.1@${suite.bw.dnsPort}`,
      '',
    ].join('\n'),
  );
  const p = spawn('unbound', ['-d', '-c', conf], { stdio: 'ignore' });
  procs.push(p);
  await waitForDns(port, p, 'unbound');
  return port;
}

const suite = banwallSuite(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'banwall-downstream-'));
  await writeFile(path.join(dir, 'w.txt'), 'weixin.qq.com\n');
  await writeFile(path.join(dir, 'n.txt'), 'nodata.example\n');
  return {
    upstream: { zone: { 'ready.test': [{ type: 'A', data: '192.0.2.1' }] } },
    config: {
      lists: [
        { name: 'wechat-core', app: 'wechat', category: 'core', source: path.join(dir, 'w.txt') },
        {
          name: 'quiet',
          app: 'kaspersky',
          category: 'core',
          source: path.join(dir, 'n.txt'),
          action: 'nodata',
        },
      ],
      groups: [{ name: 'default', clients: [], lists: ['wechat-core', 'quiet'] }],
      blocking: { cacheDir: path.join(dir, 'var') },
    },
    start: { dir },
  };
});

after(() => {
  for (const p of procs) p.kill();
});

/** The sequence of issue 13, plus a subdomain first (its SOA must not make the parent exist). */
const SEQUENCE: [string, string][] = [
  ['weixin.qq.com', 'A'],
  ['weixin.qq.com', 'A'],
  ['WEIXIN.qq.com', 'A'],
  ['weixin.qq.com', 'AAAA'],
  ['Weixin.QQ.com', 'HTTPS'],
  ['long.weixin.qq.com', 'A'],
  ['long.weixin.qq.com', 'A'],
  ['weixin.qq.com', 'A'],
  ['weixin.qq.com', 'SOA'],
];

async function checkThrough(port: number, via: string): Promise<void> {
  for (const [name, type] of SEQUENCE) {
    const r = await dig(port, name, type);
    assert.equal(r.status, 'NXDOMAIN', `${via}: ${name} ${type}:\n${r.raw}`);
    assert.equal(r.answers.length, 0, `${via}: ${name} ${type}`);
  }
  for (const [name, type] of [
    ['nodata.example', 'A'],
    ['nodata.example', 'A'],
    ['NODATA.example', 'A'],
    ['x.nodata.example', 'AAAA'],
    ['nodata.example', 'AAAA'],
  ]) {
    const r = await dig(port, name, type);
    assert.equal(r.status, 'NOERROR', `${via}: ${name} ${type}:\n${r.raw}`);
    assert.equal(r.answers.length, 0, `${via}: ${name} ${type} stays NODATA`);
  }
}

void test(
  'the block answer’s SOA is owned by an ancestor that is never a blocked name',
  { skip: TOOLS_SKIP },
  async () => {
    const r = await dig(suite.bw.dnsPort, 'long.weixin.qq.com', 'A');
    assert.equal(r.status, 'NXDOMAIN');
    assert.match(r.raw, /AUTHORITY SECTION:\n\.\s+\d+\s+IN\s+SOA\s+banwall\.invalid\./, r.raw);
  },
);

/** The caches in front of banwall: each started on a free port, forwarding to banwall. */
const caches = [
  { name: 'dnsmasq', tool: 'dnsmasq', pkg: 'dnsmasq-base', start: startDnsmasq },
  { name: 'Unbound', tool: 'unbound', pkg: 'unbound', start: startUnbound },
];

for (const c of caches) {
  void test(
    `${c.name} in front of banwall keeps NXDOMAIN and NODATA from its cache, in any case`,
    { skip: TOOLS_SKIP },
    async (t) => {
      if (!hasTool(c.tool)) return t.skip(`${c.tool} not installed (Debian package ${c.pkg})`);
      await checkThrough(await c.start(), c.tool);
    },
  );
}
