// `banwall check` and `banwall explain` as an operator runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { ROOT } from '../helpers/banwall.ts';
import { runCli } from '../helpers/cli.ts';
import { tempDir } from './policy-helpers.ts';

void test('banwall check on the shipped config: per-list counts, exit 0', async () => {
  const r = await runCli(['check', '--config', path.join(ROOT, 'config/banwall.yaml')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /list wechat-core: \d+ entries/);
  assert.match(r.stdout, /list kaspersky-update: \d+ entries/);
  assert.match(r.stdout, /ok: \d+ lists, \d+ entries, 0 bad lines skipped/);
});

void test('banwall check reports every bad line with file:line and every config error with its key path', async () => {
  const dir = await tempDir();
  await writeFile(path.join(dir, 'a.txt'), 'good.example\nbad..name\nanother.example\nurl x nopath\n');
  const base = {
    dns: { upstreams: ['udp://127.0.0.1:5300'] },
    lists: [{ name: 'a', app: 'wechat', category: 'core', source: 'a.txt' }],
  };
  await writeFile(path.join(dir, 'ok.yaml'), stringify(base));
  // Strict by default (issue 13): any bad line fails the check; --no-strict reports and passes.
  for (const strict of [true, false]) {
    const r = await runCli([
      'check',
      ...(strict ? [] : ['--no-strict']),
      '--config',
      path.join(dir, 'ok.yaml'),
    ]);
    const out = strict ? r.stderr : r.stdout;
    assert.equal(r.code, strict ? 1 : 0, r.stderr);
    assert.match(out, /list a: 2 entries \(domains\), 2 bad lines/);
    assert.ok(out.includes(`${path.join(dir, 'a.txt')}:2: not a valid domain name: bad..name`), out);
    assert.ok(out.includes(`${path.join(dir, 'a.txt')}:4: path pattern "nopath" must start with "/"`), out);
  }

  const broken = {
    ...base,
    lists: [...base.lists, { name: 'gone', app: 'wechat', category: 'core', source: 'missing.txt' }],
    groups: [{ name: 'default', lists: ['a', 'nope'] }],
  };
  // Cross-references are part of the config schema (issue 18): reported with the schema errors,
  // before any list is read; then the missing file.
  await writeFile(path.join(dir, 'broken.yaml'), stringify(broken));
  let r = await runCli(['check', '--config', path.join(dir, 'broken.yaml')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /groups\[0\]\.lists\[1\]: unknown list "nope"/);
  broken.groups[0].lists = ['a', 'gone'];
  await writeFile(path.join(dir, 'broken.yaml'), stringify(broken));
  r = await runCli(['check', '--config', path.join(dir, 'broken.yaml')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /lists\[1\]\.source: cannot read .*missing\.txt/);

  await writeFile(path.join(dir, 'schema.yaml'), stringify({ ...base, blocking: { action: 'explode' } }));
  r = await runCli(['check', '--config', path.join(dir, 'schema.yaml')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /blocking\.action/);
});

void test('banwall explain names the rule, its list, file and line, and the allow rule that won', async () => {
  const cfg = path.join(ROOT, 'config/banwall.yaml');
  let r = await runCli(['explain', 'long.weixin.qq.com', '--config', cfg]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /long\.weixin\.qq\.com A from 127\.0\.0\.1 \(group default\): BLOCKED → NXDOMAIN with SOA/,
  );
  assert.match(
    r.stdout,
    /deciding rule: long\.weixin\.qq\.com +\(list wechat-telemetry, .*blocklists\/wechat\/telemetry\.txt:\d+, wechat\/telemetry\)/,
  );
  assert.match(r.stdout, /block weixin\.qq\.com +\(list wechat-core, .*core\.txt:\d+, wechat\/core\)/);

  r = await runCli([
    'explain',
    'qyapi.weixin.qq.com',
    '--client',
    '10.0.0.5',
    '--type',
    'AAAA',
    '--config',
    cfg,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /qyapi\.weixin\.qq\.com AAAA from 10\.0\.0\.5 \(group default\): ALLOWED/);
  assert.match(r.stdout, /allowed by: +=qyapi\.weixin\.qq\.com +\(list wecom/);

  r = await runCli(['explain', 'http://dldir1.qq.com/weixin/Windows/WeChatSetup.exe', '--config', cfg]);
  assert.match(
    r.stdout,
    /BLOCKED \(proxy: refused with 403\)\n {2}deciding rule: url =dldir1\.qq\.com \/weixin\//,
  );

  r = await runCli(['explain', 'mail.qq.com', '--config', cfg]);
  assert.match(r.stdout, /ALLOWED\n {2}no rule matched/);
});

void test('banwall check fetches remote lists, falls back to the copy on disk, fails without either', async () => {
  const http = await import('node:http');
  const server = http.createServer((_req, res) => res.end('a.example\nb.example\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const dir = await tempDir();
  const config = (url: string) =>
    stringify({
      dns: { upstreams: ['udp://127.0.0.1:5300'] },
      lists: [{ name: 'remote', app: 'wechat', category: 'core', source: url }],
      blocking: { cacheDir: 'cache', fetchTimeout: '2s' },
    });
  await writeFile(path.join(dir, 'c.yaml'), config(`http://127.0.0.1:${port}/l.txt`));
  let r = await runCli(['check', '--config', path.join(dir, 'c.yaml')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /list remote: 2 entries/);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  r = await runCli(['check', '--config', path.join(dir, 'c.yaml')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /list remote: 2 entries/);
  await writeFile(path.join(dir, 'c.yaml'), config(`http://127.0.0.1:${port}/other.txt`));
  r = await runCli(['check', '--config', path.join(dir, 'c.yaml')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /lists\[0\]\.source: .* cannot be fetched and there is no copy on disk/);
});
