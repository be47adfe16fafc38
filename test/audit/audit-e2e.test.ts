// Scoped tokens and the audit log against a running banwall: a read-only token gets 403 on reload;
// the reload done with an admin token and the one the policy refused are both on record, with who
// asked; `banwall audit verify` passes the log, and fails at the line someone edited.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startBanwall, testConfig, CLI, type RunningBanwall } from '../helpers/banwall.ts';
import { startFakeUpstream } from '../helpers/fake-upstream/dns.ts';

const run = promisify(execFile);
const ADMIN = 'admin-token-0123456789abcdef';
const READER = 'reader-token-0123456789abcdef';
const RELOADER = 'reload-token-0123456789abcdef';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

interface AuditLine {
  actor: string;
  action: string;
  result: string;
  errors?: string[];
  entries?: Record<string, { before: number; after: number }>;
}

/** A banwall with the wechat list in `wechat.txt`, an audit log, the admin token and `tokens`. */
async function startAuditedBanwall(
  t: TestContext,
  opts: { tokens: unknown[]; groups?: unknown[] },
): Promise<RunningBanwall> {
  const upstream = await startFakeUpstream({ zone: {} });
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-audit-'));
  await writeFile(path.join(dir, 'wechat.txt'), 'weixin.example\n');
  t.after(() => upstream.close());
  const bw = await startBanwall(
    testConfig([upstream.url], {
      lists: [{ name: 'wechat-core', app: 'wechat', category: 'core', source: 'wechat.txt' }],
      ...(opts.groups ? { groups: opts.groups } : {}),
      http: { listen: ['127.0.0.1:0'], token: ADMIN, tokens: opts.tokens },
      audit: { path: 'audit.log' },
      events: { store: { enabled: false } },
    }),
    { dir },
  );
  t.after(() => bw.stop());
  return bw;
}

void test('scoped tokens, and every policy change in a verifiable audit log', async (t) => {
  const bw = await startAuditedBanwall(t, {
    groups: [{ name: 'default', lists: ['wechat-core'] }],
    tokens: [
      { id: 'soc', sha256: sha(READER), scopes: ['read'] },
      { id: 'deploy-bot', sha256: sha(RELOADER), scopes: ['reload'] },
    ],
  });
  const api = (p: string, token: string, method = 'GET') =>
    fetch(`http://127.0.0.1:${bw.httpPort}${p}`, { method, headers: { authorization: `Bearer ${token}` } });

  let res = await api('/api/reload', READER, 'POST');
  assert.equal(res.status, 403);
  assert.deepEqual(await res.json(), { error: 'forbidden' }, 'no detail');
  assert.equal((await api('/api/cache/flush', RELOADER, 'POST')).status, 403, 'reload scope is not cache');

  await writeFile(path.join(bw.dir, 'wechat.txt'), 'weixin.example\nwechat.example\n');
  res = await api('/api/reload', RELOADER, 'POST');
  assert.equal(res.status, 200);
  // A whole TLD is refused (issue 12.5): the reload is rejected and recorded as such.
  await writeFile(path.join(bw.dir, 'wechat.txt'), 'weixin.example\nwechat.example\ncom\n');
  res = await api('/api/reload', ADMIN, 'POST');
  assert.equal(res.status, 422);

  res = await api('/api/audit?n=10', READER);
  assert.equal(res.status, 200);
  const entries = ((await res.json()) as { entries: AuditLine[] }).entries;
  assert.deepEqual(
    entries.map((e) => [e.actor, e.action, e.result]),
    [
      ['admin', 'reload', 'rejected'],
      ['deploy-bot', 'reload', 'applied'],
      ['start', 'start', 'applied'],
    ],
  );
  assert.deepEqual(entries[1].entries, { 'wechat-core': { before: 1, after: 2 } });
  assert.ok((entries[0].errors ?? []).some((e) => /com/.test(e)));

  // A list file edited in place (no reload asked): the watcher's recompile is on record too.
  await writeFile(path.join(bw.dir, 'wechat.txt'), 'weixin.example\nwechat.example\nwx.example\n');
  let watched: AuditLine | undefined;
  for (let i = 0; i < 100 && watched === undefined; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const all = ((await (await api('/api/audit?n=10', READER)).json()) as { entries: AuditLine[] }).entries;
    // The edit that added `com` may also have reached the watcher (refused, on record as such):
    // this looks for the recompile of the edit just made.
    watched = all.find((e) => e.actor === 'watch' && e.result === 'applied');
  }
  assert.deepEqual(
    [watched?.action, watched?.result, watched?.entries],
    ['recompile', 'applied', { 'wechat-core': { before: 2, after: 3 } }],
  );

  const file = path.join(bw.dir, 'audit.log');
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
  // start, two reloads, the watcher's recompile (and its refusal of `com`, when the watcher saw that edit)
  assert.ok(lines.length === 4 || lines.length === 5, `${lines.length} lines`);
  const ok = await run(process.execPath, [CLI, 'audit', 'verify', file]);
  assert.match(ok.stdout, new RegExp(`ok, ${lines.length} lines`));
  lines[1] = lines[1].replace('"deploy-bot"', '"someone-else"');
  await writeFile(file, `${lines.join('\n')}\n`);
  const bad = await run(process.execPath, [CLI, 'audit', 'verify', file]).then(
    () => assert.fail('verify passed an edited log'),
    (err: { code: number; stdout: string }) => err,
  );
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /audit\.log:2: /);
});

void test('reloads asked for while one runs share the next; each asker finds its reload, with the edit', async (t) => {
  const bw = await startAuditedBanwall(t, {
    tokens: [{ id: 'deploy-bot', sha256: sha(RELOADER), scopes: ['reload'] }],
  });
  const dir = bw.dir;
  const reload = async () => {
    const res = await fetch(`http://127.0.0.1:${bw.httpPort}/api/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${RELOADER}` },
    });
    assert.equal(res.status, 200);
    return (await res.json()) as { lists: { entries: number }[] };
  };
  await writeFile(path.join(dir, 'wechat.txt'), 'weixin.example\nwechat.example\n');
  // The second request and the signal most likely land while the first reload runs: they are owed
  // one after it, logged under both reasons so that a SIGHUP sender can tell its line from another's.
  const [a, b, hup] = await Promise.all([reload(), reload(), bw.sighup()]);
  assert.equal(a.lists[0].entries, 2);
  assert.equal(b.lists[0].entries, 2);
  assert.equal(hup.msg, 'policy reloaded');
  const res = await fetch(`http://127.0.0.1:${bw.httpPort}/api/audit?n=10`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  const entries = ((await res.json()) as { entries: (AuditLine & { reason?: string })[] }).entries;
  assert.ok(
    entries.some((e) => e.action === 'reload' && e.actor === 'deploy-bot'),
    'the person who asked is on record, not only the signal',
  );
});
