// Regex and broad-rule attacks against a running banwall, with the real dig (issue 12 items 4, 5
// and 10): a catastrophic list regex no longer freezes the resolver, an allow regex overrides a
// name block in DNS as `explain` says it does, and a list edit adding `com` is refused while the
// old policy keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';
import { assertAnswers } from '../helpers/dig-assert.ts';
import { CLI, ROOT } from '../helpers/banwall.ts';
import { banwallSuite } from '../helpers/banwall-suite.ts';
import type { FakeRecord } from '../helpers/fake-upstream/dns.ts';
import { tempDir } from './policy-helpers.ts';

const run = promisify(execFile);
let dir: string;

const A = (data: string): FakeRecord[] => [{ type: 'A', data, ttl: 300 }];
const ATTACK = `${'a'.repeat(40)}!`; // 40 characters: hours of backtracking under V8's RegExp

// (The suite's stop is bounded: a resolver stuck in a regex could not run its SIGTERM handler.)
const suite = banwallSuite(async () => {
  dir = await tempDir();
  await writeFile(path.join(dir, 'evil.txt'), '/^(a+)+$/\n/^([a-z]+)+\\.evil$/\n');
  await writeFile(path.join(dir, 'wechat.txt'), 'weixin.qq.com\n@@/^weixin\\.qq\\.com$/\n');
  const lists = ['evil', 'wechat'].map((n) => ({
    name: n,
    app: 'wechat',
    category: 'core',
    source: `${n}.txt`,
  }));
  return {
    upstream: {
      zone: {
        'ok.test': A('192.0.2.1'),
        'ok.com': A('192.0.2.2'),
        'weixin.qq.com': A('192.0.2.3'),
        'long.weixin.qq.com': A('192.0.2.4'),
      },
    },
    config: { lists },
    start: { dir },
  };
});

void test(
  'a catastrophic regex: the attack query answers at once and other clients keep being answered',
  { skip: NO_DIG_KDIG },
  async () => {
    const t0 = performance.now();
    const attack = dig(suite.bw.dnsPort, ATTACK, 'A');
    const others = Array.from({ length: 10 }, () => dig(suite.bw.dnsPort, 'ok.test', 'A'));
    const more = dig(suite.bw.dnsPort, `${'b'.repeat(50)}1.evil`, 'A');
    const [a, b, ...rest] = await Promise.all([attack, more, ...others]);
    const ms = performance.now() - t0;
    assert.notEqual(a.status, 'NONE', `the attack query got an answer: ${a.raw}`);
    assert.notEqual(b.status, 'NONE', `the second attack query got an answer: ${b.raw}`);
    for (const r of rest) assert.equal(r.status, 'NOERROR', r.raw);
    // Each dig gives up after 3 s: a stalled resolver fails the status checks above; this bounds the rest.
    assert.ok(ms < 8000, `12 queries took ${ms.toFixed(0)} ms`);
    assert.equal(
      (await dig(suite.bw.dnsPort, 'aaaa', 'A')).status,
      'NXDOMAIN',
      'the regex still blocks what it says',
    );
  },
);

void test(
  'an allow regex overrides a name block in DNS, and explain says the same',
  { skip: NO_DIG_KDIG },
  async () => {
    assertAnswers(await dig(suite.bw.dnsPort, 'weixin.qq.com', 'A'), ['192.0.2.3']);
    assert.equal((await dig(suite.bw.dnsPort, 'long.weixin.qq.com', 'A')).status, 'NXDOMAIN');
    const { stdout } = await run(
      process.execPath,
      [CLI, 'explain', 'weixin.qq.com', '--config', suite.bw.configFile],
      { cwd: ROOT, timeout: 20_000 },
    );
    assert.match(stdout, /weixin\.qq\.com A .*: ALLOWED/);
    assert.match(stdout, /allowed by: +@@\/\^weixin\\\.qq\\\.com\$\//);
  },
);

void test(
  'banwall check takes the catastrophic list in bounded time, and refuses a broad one',
  { skip: NO_DIG_KDIG },
  async () => {
    const t0 = performance.now();
    const { stdout } = await run(process.execPath, [CLI, 'check', '--config', suite.bw.configFile], {
      cwd: ROOT,
      timeout: 20_000,
    });
    assert.match(stdout, /list evil: 2 entries/);
    assert.ok(performance.now() - t0 < 15_000);
    const broad = path.join(dir, 'broad.yaml');
    await writeFile(
      broad,
      `dns: { upstreams: ['${suite.up.url}'] }\nlists:\n  - { name: b, app: wechat, category: core, source: b.txt }\n`,
    );
    await writeFile(path.join(dir, 'b.txt'), 'weixin.qq.com\n/./\n');
    await assert.rejects(
      run(process.execPath, [CLI, 'check', '--config', broad], { cwd: ROOT, timeout: 20_000 }),
      (err: { code: number; stderr: string }) => {
        assert.equal(err.code, 1);
        assert.ok(err.stderr.includes(`${path.join(dir, 'b.txt')}:2: "/./" blocks every name`), err.stderr);
        return true;
      },
    );
  },
);

void test(
  'a list edit adding a whole TLD is refused and the old policy keeps serving',
  { skip: NO_DIG_KDIG },
  async () => {
    assert.equal((await dig(suite.bw.dnsPort, 'ok.com', 'A')).status, 'NOERROR');
    await writeFile(path.join(dir, 'wechat.txt'), 'weixin.qq.com\n@@/^weixin\\.qq\\.com$/\ncom\n');
    const line = await suite.bw.waitForLog((l) => typeof l.msg === 'string' && /rejected/.test(l.msg));
    assert.match(JSON.stringify(line), /wechat\.txt:3: \\"com\\" blocks every name under \\"\.com\\"/);
    assert.equal((await dig(suite.bw.dnsPort, 'ok.com', 'A')).status, 'NOERROR', 'com is not blocked');
    assert.equal(
      (await dig(suite.bw.dnsPort, 'long.weixin.qq.com', 'A')).status,
      'NXDOMAIN',
      'the old policy serves',
    );
  },
);
