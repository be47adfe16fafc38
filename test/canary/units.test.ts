// The canaries' pieces alone: which name and URL a list's text yields, which lists a probe source's
// group covers, and how a DNS reply is judged against the block action.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configSchema } from '../../src/config/schema.ts';
import { pickTargets, planProbes } from '../../src/canary/probe-plan.ts';
import { buildQuery, checkBlockReply, parseReply } from '../../src/canary/dns-probe.ts';
import { certificateName } from '../../src/canary/endpoints.ts';
import { selfSigned } from '../helpers/certs.ts';
import { tempDir } from '../helpers/temp-dir.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('openssl');

void test('the first name entry and the first url rule of every list format', { skip: TOOLS_SKIP }, () => {
  assert.deepEqual(
    pickTargets('# c\n\n@@ok.example\n/^re/\nip 10.0.0.0/8\n1.2.3.4\nWeixin.QQ.com. # x\nwechat.com\n'),
    {
      name: 'weixin.qq.com',
      url: null,
    },
  );
  assert.equal(pickTargets('0.0.0.0 ads.example other.example\n').name, 'ads.example');
  assert.equal(pickTargets('! adblock\n||tracker.example^\n').name, 'tracker.example');
  assert.equal(pickTargets('=only.example\n').name, 'only.example');
  assert.equal(pickTargets('*.sub.example\n').name, 'banwall-canary.sub.example');
  assert.deepEqual(
    pickTargets(
      'url dldir1.qq.com /weixin/**/WeChatSetup.exe|\nurl =apps.apple.com /**/id414478124| ?mt=8\n',
    ),
    {
      name: null,
      url: 'http://dldir1.qq.com/weixin/WeChatSetup.exe',
    },
  );
  assert.equal(
    pickTargets('url * /x\nurl =apps.apple.com /app/*/id1 ?a=b%20c\n').url,
    'http://apps.apple.com/app/banwall-canary/id1?a=b%20c',
  );
  assert.deepEqual(pickTargets('/^ad[0-9]+\\./\nip 192.0.2.0/24\n'), { name: null, url: null });
  assert.equal(pickTargets('url 192.0.2.1 /x\n').url, null);
});

void test(
  'only the lists of the probe source group are planned; unreadable and regex-only lists are skipped with a reason',
  { skip: TOOLS_SKIP },
  async (t) => {
    const dir = await tempDir(t, 'banwall-canary-plan-');
    await writeFile(path.join(dir, 'a.txt'), 'a.example\n');
    await writeFile(path.join(dir, 'b.txt'), 'b.example\n');
    await writeFile(path.join(dir, 're.txt'), '/^x/\n');
    const cfg = configSchema.parse({
      dns: { upstreams: ['udp://127.0.0.1:53'] },
      lists: [
        { name: 'a', app: 'wechat', category: 'core', source: 'a.txt' },
        { name: 'b', app: 'wechat', category: 'update', source: 'b.txt' },
        { name: 're', app: 'kaspersky', category: 'core', source: 're.txt' },
        { name: 'gone', app: 'kaspersky', category: 'update', source: 'missing.txt' },
      ],
      groups: [
        { name: 'default', lists: ['a', 're', 'gone'] },
        { name: 'kids', clients: ['10.0.0.0/8'], lists: ['b'] },
      ],
      canaries: {
        probes: [
          { target: 'Extra.Example.' },
          { target: 'http://x.example/y', app: 'wechat', category: 'download' },
        ],
      },
    });
    const plan = await planProbes(cfg, dir, 'default');
    assert.deepEqual(
      plan.probes.map((p) => [p.app, p.category, p.kind, p.target, p.origin]),
      [
        ['wechat', 'core', 'name', 'a.example', 'a'],
        ['operator', 'probe', 'name', 'extra.example', 'canaries.probes[0]'],
        ['wechat', 'download', 'url', 'http://x.example/y', 'canaries.probes[1]'],
      ],
    );
    assert.deepEqual(
      plan.skipped.map((s) => s.list),
      ['b', 're', 'gone'],
    );
    assert.match(plan.skipped[0].reason, /not applied to group default/);
    assert.match(plan.skipped[1].reason, /regex and IP rules are not probed/);
    assert.match(plan.skipped[2].reason, /cannot read/);
  },
);

/** A reply to `buildQuery(name)` with `rcode`, `answers` A records and an optional EDE. */
function reply(rcode: number, answers: number, ede: number | null): Buffer {
  const q = buildQuery('x.example', 7);
  const head = Buffer.from(q.subarray(0, q.length - 11)); // header + question, without the OPT
  head.writeUInt16BE(0x8180 | rcode, 2);
  head.writeUInt16BE(answers, 6);
  head.writeUInt16BE(1, 10);
  const recs = Array.from({ length: answers }, () =>
    Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 0, 0, 0, 0]),
  );
  const opts = ede === null ? Buffer.alloc(0) : Buffer.from([0, 15, 0, 2, 0, ede]);
  const opt = Buffer.concat([Buffer.from([0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, opts.length]), opts]);
  return Buffer.concat([head, ...recs, opt]);
}

void test('operator probes are names or http:// URLs with a name, never an IP', { skip: TOOLS_SKIP }, () => {
  const parse = (target: string) =>
    configSchema.safeParse({
      dns: { upstreams: ['udp://127.0.0.1:53'] },
      canaries: { probes: [{ target }] },
    });
  for (const ok of ['weixin.qq.com', 'weixin.qq.com.', 'http://dldir1.qq.com/x?y=1'])
    assert.ok(parse(ok).success, ok);
  for (const bad of ['1.2.3.4', 'http://1.2.3.4/x', 'http://[::1]/', 'https://a.example/', 'a b', '']) {
    const r = parse(bad);
    assert.ok(!r.success, bad);
    assert.match(r.error.issues[0].message, /neither a domain name nor an http:\/\/ URL/);
  }
});

void test('a DNS reply is judged against the action of the rule that blocks', { skip: TOOLS_SKIP }, () => {
  assert.deepEqual(parseReply(reply(3, 0, 15)), { rcode: 3, answers: 0, ede: 15 });
  assert.equal(checkBlockReply(parseReply(reply(3, 0, 15)), 'nxdomain'), null);
  assert.equal(checkBlockReply(parseReply(reply(5, 0, 15)), 'refused'), null);
  assert.equal(checkBlockReply(parseReply(reply(0, 0, 15)), 'nodata'), null);
  assert.equal(checkBlockReply(parseReply(reply(0, 1, 15)), 'null'), null);
  assert.match(
    checkBlockReply(parseReply(reply(0, 1, null)), 'nxdomain')!,
    /rcode NOERROR, expected NXDOMAIN; EDE absent/,
  );
  assert.match(checkBlockReply(parseReply(reply(0, 1, 15)), 'nodata')!, /1 answers, expected none/);
  assert.match(checkBlockReply(parseReply(reply(5, 0, 18)), 'nxdomain')!, /EDE 18, expected 15/);
  assert.throws(() => parseReply(Buffer.alloc(5)));
});

void test('the name a probe verifies a DoT/DoH certificate against', { skip: TOOLS_SKIP }, async () => {
  const named = await selfSigned(['dns.example.org', '127.0.0.1']);
  const ipOnly = await selfSigned(['127.0.0.1']);
  try {
    assert.equal(certificateName(Buffer.from(named.cert)), 'dns.example.org');
    assert.equal(certificateName(Buffer.from(ipOnly.cert)), '127.0.0.1');
  } finally {
    await rm(named.dir, { recursive: true, force: true });
    await rm(ipOnly.dir, { recursive: true, force: true });
  }
});
