// Issue 12 item 5 (reload part): emptying a list file and writing it again a second later (a careless
// editor, a non-atomic copy) must not unblock its names for a moment. Against a running banwall with
// an upstream that answers for weixin.qq.com (a bypass shows as NOERROR), with the real dig.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';
import { banwallSuite } from '../helpers/banwall-suite.ts';
import { tempDir } from './policy-helpers.ts';

const TOKEN = 'reload-guard-test-token-0123456789';
const FULL = 'weixin.qq.com\nwechat.com\nwx.qq.com\n';

let file: string;

const suite = banwallSuite(async () => {
  const dir = await tempDir();
  file = path.join(dir, 'wechat.txt');
  await writeFile(file, FULL);
  return {
    upstream: {
      zone: {
        'weixin.qq.com': [{ type: 'A', data: '192.0.2.10', ttl: 300 }],
        'ok.test': [{ type: 'A', data: '192.0.2.1', ttl: 300 }],
      },
    },
    config: {
      lists: [{ name: 'wechat', app: 'wechat', category: 'core', source: 'wechat.txt' }],
      http: { listen: ['127.0.0.1:0'], token: TOKEN },
      // No answer cache: every dig below asks the policy in force.
      dns: { cache: { enabled: false } },
    },
    start: { dir },
  };
});

const status = async (name: string) => (await dig(suite.bw.dnsPort, name, 'A')).status;

async function reload(): Promise<{
  ok: boolean;
  errors: string[];
  lists?: { name: string; entries: number }[];
}> {
  const res = await fetch(`http://127.0.0.1:${suite.bw.httpPort}/api/reload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return (await res.json()) as { ok: boolean; errors: string[] };
}

/** Queries weixin.qq.com with dig for `ms` (bounded in count), returning every status seen. */
async function probe(ms: number): Promise<string[]> {
  const seen: string[] = [];
  const end = Date.now() + ms;
  for (let i = 0; i < 200 && Date.now() < end; i++) seen.push(await status('weixin.qq.com'));
  return seen;
}

void test(
  'a list file emptied and rewritten a second later never unblocks its names',
  { skip: NO_DIG_KDIG },
  async () => {
    assert.equal(await status('weixin.qq.com'), 'NXDOMAIN');
    const seen: string[] = [];
    for (let round = 0; round < 3; round++) {
      const during = probe(3000);
      await writeFile(file, ''); // the attack: truncate...
      await new Promise((r) => setTimeout(r, 1000));
      await writeFile(file, FULL); // ...and write again a second later
      seen.push(...(await during));
    }
    assert.ok(seen.length >= 10, `only ${seen.length} queries`);
    assert.deepEqual([...new Set(seen)], ['NXDOMAIN'], `answers seen: ${seen.join(' ')}`);
    // The watcher saw the empty file and refused it (retrying, as the file may not be whole yet).
    const refusal = suite.bw.logs.find((l) => /list file refused/.test(String(l.msg)));
    assert.ok(refusal, 'the refusal is logged');
    assert.match(
      JSON.stringify(refusal),
      /lists\[0\]\.source: .*has 0 entries where the policy in force has 3/,
    );
  },
);

void test(
  'the shrink is refused by an explicit reload too, and applies once confirmed in config',
  { skip: NO_DIG_KDIG },
  async () => {
    await writeFile(file, 'wechat.com\n'); // 3 → 1 entries: more than blocking.maxShrink (50 %) drop
    let r = await reload();
    assert.equal(r.ok, false);
    assert.match(r.errors.join('\n'), /has 1 entries where the policy in force has 3: .*blocking\.maxShrink/);
    assert.match(r.errors.join('\n'), /confirm it with `lists\[0\]\.maxShrink: 1`/);
    assert.equal(await status('weixin.qq.com'), 'NXDOMAIN', 'the policy in force keeps serving');

    // The operator confirms: the smaller list takes effect.
    const lists = [{ name: 'wechat', app: 'wechat', category: 'core', source: 'wechat.txt', maxShrink: 1 }];
    await writeFile(suite.bw.configFile, stringify({ ...suite.config, lists }));
    r = await reload();
    assert.equal(r.ok, true, r.errors.join('\n'));
    assert.deepEqual(r.lists, [{ name: 'wechat', entries: 1, badLines: 0 }]);
    assert.equal(await status('weixin.qq.com'), 'NOERROR');
    assert.equal(await status('wechat.com'), 'NXDOMAIN');
  },
);
