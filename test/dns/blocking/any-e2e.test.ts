// Issue 12 item 8: ANY for a banned name was answered with RFC 8482's HINFO (NOERROR) and not
// counted as blocked. A banned or bypass name now gets the block answer for every query type, ANY
// included, in both `dns.any` modes; it is counted as blocked; and a real client (c-ares, through
// Node's dns.promises.Resolver#resolveAny) sees ENOTFOUND. ANY for other names keeps RFC 8482.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { promises as dnsPromises } from 'node:dns';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dig, NO_DIG_KDIG } from '../../helpers/dig.ts';
import { startBanwall, testConfig, type RunningBanwall } from '../../helpers/banwall.ts';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream/dns.ts';

import { missingTools } from '../../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('dig', 'kdig');

const BANNED = ['use-application-dns.net', 'mask.icloud.com', 'weixin.qq.com'];
const TYPES = ['ANY', 'A', 'AAAA', 'HTTPS', 'SVCB', 'TXT', 'MX', 'NS', 'SOA', 'CNAME', 'SRV', 'PTR', 'CAA'];

let up: FakeUpstream;
const running: RunningBanwall[] = [];

async function start(any: 'minimal' | 'refuse'): Promise<RunningBanwall> {
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-any-'));
  await writeFile(path.join(dir, 'bypass.txt'), 'use-application-dns.net\nmask.icloud.com\n');
  await writeFile(path.join(dir, 'w.txt'), 'weixin.qq.com\n');
  const bw = await startBanwall(
    testConfig([up.url], {
      dns: { any },
      lists: [
        {
          name: 'bypass',
          app: 'bypass',
          category: 'bypass',
          source: path.join(dir, 'bypass.txt'),
          action: 'nxdomain',
        },
        { name: 'wechat-core', app: 'wechat', category: 'core', source: path.join(dir, 'w.txt') },
      ],
      groups: [{ name: 'default', clients: [], lists: ['bypass', 'wechat-core'] }],
      blocking: { cacheDir: path.join(dir, 'var') },
    }),
    { dir },
  );
  running.push(bw);
  return bw;
}

async function blockedCount(bw: RunningBanwall): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${bw.httpPort}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^banwall_dns_blocked_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}

before(async () => {
  const zone: Record<string, { type: 'A' | 'TXT'; data: string }[]> = {};
  for (const n of [...BANNED, 'open.test'])
    zone[n] = [
      { type: 'A', data: '192.0.2.10' },
      { type: 'TXT', data: 'x' },
    ];
  up = await startFakeUpstream({ zone });
});

after(async () => {
  for (const bw of running) await bw.stop();
  await up?.close();
});

for (const mode of ['minimal', 'refuse'] as const) {
  void test(
    `dns.any: ${mode}: banned and bypass names get NXDOMAIN for every type, ANY included, counted as blocked`,
    { skip: TOOLS_SKIP },
    async () => {
      const bw = await start(mode);
      const before = await blockedCount(bw);
      await Promise.all(
        BANNED.map(async (name) => {
          for (const type of TYPES) {
            const r = await dig(bw.dnsPort, name, type);
            assert.equal(r.status, 'NXDOMAIN', `${name} ${type}: ${r.raw}`);
            assert.equal(r.answers.length, 0, `${name} ${type}`);
            assert.match(r.ede ?? '', /15 \(Blocked\)/, `${name} ${type}`);
          }
        }),
      );
      assert.equal(
        (await blockedCount(bw)) - before,
        BANNED.length * TYPES.length,
        'each counted as blocked',
      );
      assert.ok(!up.queries.some((q) => BANNED.includes(q.name)), 'never forwarded');

      // A name not on any list keeps the RFC 8482 answer.
      const open = await dig(bw.dnsPort, 'open.test', 'ANY');
      if (mode === 'minimal') {
        assert.equal(open.status, 'NOERROR');
        assert.equal(open.answers[0]?.type, 'HINFO');
      } else {
        assert.equal(open.status, 'REFUSED');
      }
    },
  );
}

void test(
  'c-ares resolveAny against banwall: ENOTFOUND for banned and bypass names',
  { skip: NO_DIG_KDIG },
  async () => {
    const bw = running[0] ?? (await start('minimal'));
    const resolver = new dnsPromises.Resolver({ timeout: 3000, tries: 1 });
    resolver.setServers([`127.0.0.1:${bw.dnsPort}`]);
    for (const name of BANNED) {
      await assert.rejects(resolver.resolveAny(name), (e: NodeJS.ErrnoException) => {
        assert.equal(e.code, 'ENOTFOUND', `${name}: ${e.code}`);
        return true;
      });
    }
  },
);
