// Bad list lines and lists no group enforces, as a running banwall reports them (issue 13): per-list
// bad-line counts in /api/status, in the reload answer and in banwall_list_bad_lines{list}, and a
// start-up warning for a list named by no group; `banwall reload` names the lists with bad lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { CLI, ROOT, startBanwall, testConfig } from '../helpers/banwall.ts';
import { startFakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { tempDir } from './policy-helpers.ts';

const TOKEN = 'bad-lines-test-token-0123456789';

void test('bad-line counts in status, reload answer and metrics; unenforced list logged', async (t) => {
  const up = await startFakeUpstream({ zone: {} });
  t.after(() => up.close());
  const dir = await tempDir();
  await writeFile(
    path.join(dir, 'a.txt'),
    'a.example\nbad..one\nb.example\nbad..two\nc.example\nbad..three\n',
  );
  await writeFile(path.join(dir, 'spare.txt'), 'spare.example\n');
  const list = (name: string) => ({ name, app: 'wechat', category: 'core', source: `${name}.txt` });
  const config = testConfig([up.url], {
    lists: [list('a'), list('spare')],
    groups: [{ name: 'default', lists: ['a'] }],
    http: { listen: ['127.0.0.1:0'], token: TOKEN },
  });
  const bw = await startBanwall(config, { dir });
  t.after(() => bw.stop());
  const base = `http://127.0.0.1:${bw.httpPort}`;

  const unenforced = await bw.waitForLog((l) => /named by no group/.test(String(l.msg)));
  assert.equal(unenforced.list, 'spare');
  assert.equal(unenforced.key, 'lists[1]');

  const status = (await (await fetch(`${base}/api/status`)).json()) as {
    lists: { name: string; entries: number; badLines: number }[];
  };
  assert.deepEqual(
    status.lists.map((l) => [l.name, l.entries, l.badLines]),
    [
      ['a', 3, 3],
      ['spare', 1, 0],
    ],
  );

  const res = await fetch(`${base}/api/reload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  const reload = (await res.json()) as { ok: boolean; errors: string[]; lists: unknown };
  assert.equal(res.status, 200);
  assert.deepEqual(reload.errors, []);
  assert.deepEqual(reload.lists, [
    { name: 'a', entries: 3, badLines: 3 },
    { name: 'spare', entries: 1, badLines: 0 },
  ]);

  // `banwall reload` (the CLI) says which lists have bad lines.
  await writeFile(
    bw.configFile,
    stringify({ ...config, http: { listen: [`127.0.0.1:${bw.httpPort}`], token: TOKEN } }),
  );
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'reload', '--config', bw.configFile], {
    cwd: ROOT,
    timeout: 20_000,
    env: { ...process.env, BANWALL_API_TOKEN: TOKEN },
  });
  assert.match(stdout, /reloaded: policy generation \d+\n {2}list a: 3 entries, 3 bad lines skipped/);
  assert.doesNotMatch(stdout, /list spare/);

  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^banwall_list_bad_lines\{list="a"\} 3$/m);
  assert.match(metrics, /^banwall_list_bad_lines\{list="spare"\} 0$/m);
});
