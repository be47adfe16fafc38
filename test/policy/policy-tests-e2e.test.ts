// Policy tests as list maintainers meet them: `banwall check` runs the `tests:` files and fails,
// naming file:line, expected, actual and the deciding rule, when an edited list breaks one; a running
// banwall refuses the reload and the policy in force keeps blocking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { CLI, ROOT, startBanwall, testConfig } from '../helpers/banwall.ts';
import { startFakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';

const run = promisify(execFile);

const TESTS = [
  '# what the list must do',
  'block weixin.example wechat/core   # the app itself',
  'block http://dl.example/weixin/setup.exe wechat',
  'allow qq.example                   # a shared parent stays reachable',
].join('\n');

async function check(config: string): Promise<{ code: number; out: string }> {
  return run(process.execPath, [CLI, 'check', '--config', config], { cwd: ROOT }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

void test(
  'a list edit that breaks a policy test fails check and is refused by a running banwall',
  { skip: NO_DIG_KDIG },
  async (t) => {
    const upstream = await startFakeUpstream({
      zone: {
        'weixin.example': [{ type: 'A', data: '192.0.2.66' }],
        'qq.example': [{ type: 'A', data: '192.0.2.7' }],
      },
    });
    t.after(() => upstream.close());
    const dir = await mkdtemp(path.join(tmpdir(), 'banwall-ptests-'));
    await writeFile(path.join(dir, 'wechat.txt'), 'weixin.example\nurl =dl.example /weixin/\n');
    await writeFile(path.join(dir, 'wechat.tests'), TESTS);
    const config = testConfig([upstream.url], {
      tests: ['wechat.tests'],
      lists: [{ name: 'wechat-core', app: 'wechat', category: 'core', source: 'wechat.txt', maxShrink: 1 }],
      groups: [{ name: 'default', lists: ['wechat-core'] }],
      http: { listen: ['127.0.0.1:0'], token: 'ptests-token-0123456789' },
    });
    await writeFile(path.join(dir, 'banwall.yaml'), stringify(config));

    const good = await check(path.join(dir, 'banwall.yaml'));
    assert.equal(good.code, 0, good.out);
    assert.match(good.out, /3 policy tests passed/);

    const bw = await startBanwall(config, { dir });
    t.after(() => bw.stop());
    assert.equal((await dig(bw.dnsPort, 'weixin.example')).status, 'NXDOMAIN');

    // A maintainer narrows the list to one host: the app's own name is no longer blocked.
    await writeFile(path.join(dir, 'wechat.txt'), '=www.weixin.example\nurl =dl.example /weixin/\n');
    const bad = await check(path.join(dir, 'banwall.yaml'));
    assert.equal(bad.code, 1);
    assert.match(
      bad.out,
      /wechat\.tests:2: expected block wechat\/core weixin\.example \(client 127\.0\.0\.1\); actual: allowed/,
    );

    const res = await fetch(`http://127.0.0.1:${bw.httpPort}/api/reload`, {
      method: 'POST',
      headers: { authorization: 'Bearer ptests-token-0123456789' },
    });
    assert.equal(res.status, 422);
    const body = (await res.json()) as { errors: string[] };
    assert.ok(
      body.errors.some((e) => /policy test failed: wechat\.tests:2/.test(e)),
      body.errors.join('\n'),
    );
    assert.equal(
      (await dig(bw.dnsPort, 'weixin.example')).status,
      'NXDOMAIN',
      'the old policy keeps serving',
    );
    assert.equal((await dig(bw.dnsPort, 'qq.example')).status, 'NOERROR');
  },
);

void test(
  'the shipped policy tests catch an edit of a shipped list: check names the shipped file and line',
  { skip: NO_DIG_KDIG },
  async () => {
    const cfg = parse(await readFile(path.join(ROOT, 'config/banwall.yaml'), 'utf8')) as {
      lists: { name: string; source: string }[];
      tests: string[];
    };
    const dir = await mkdtemp(path.join(tmpdir(), 'banwall-shipped-tests-'));
    // The WeChat core list as a maintainer might leave it: the app's own domain dropped.
    const core = await readFile(path.join(ROOT, 'blocklists/wechat/core.txt'), 'utf8');
    await writeFile(path.join(dir, 'core.txt'), core.replace(/^weixin\.qq\.com\b.*$/m, ''));
    const abs = (s: string) => path.resolve(ROOT, 'config', s);
    const edited = {
      ...cfg,
      tests: cfg.tests.map(abs),
      lists: cfg.lists.map((l) => ({
        ...l,
        source: l.name === 'wechat-core' ? path.join(dir, 'core.txt') : abs(l.source),
      })),
      blocking: { ...(cfg as unknown as { blocking: object }).blocking, cacheDir: path.join(dir, 'lists') },
    };
    await writeFile(path.join(dir, 'banwall.yaml'), stringify(edited));
    const r = await check(path.join(dir, 'banwall.yaml'));
    assert.equal(r.code, 1, r.out);
    assert.match(
      r.out,
      /blocklists\/tests\/wechat\.txt:\d+: expected block wechat\/core weixin\.qq\.com .*actual: allowed/,
    );
  },
);
