// The validated config kept beside the compile cache (src/config/validated-cache.ts): a load of the
// same bytes by the same code takes it instead of starting the loader thread; other bytes, a changed
// validating module, a damaged entry or an invalid config never yield a kept config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { enableCompileCache } from 'node:module';
import path from 'node:path';
import { stringify } from 'yaml';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfigIsolated } from '../../src/config/load-isolated.ts';
import { cachedConfig, configKey, entryFile, keepConfig } from '../../src/config/validated-cache.ts';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';
import { startBanwall, testConfig } from '../helpers/banwall.ts';
import { startFakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Where the compile cache is off there is no entry to test (every load uses the thread). */
const CACHE_OFF = process.env.NODE_DISABLE_COMPILE_CACHE ? 'NODE_DISABLE_COMPILE_CACHE: no entries' : false;

/**
 * Loads `file` through the thread and waits for its entry (written after the load resolves). Waits
 * for an entry of these bytes, not for a file: a damaged entry already there would end the wait
 * before the load's own entry replaced it (CI failed so, once).
 */
async function loadAndKeep(file: string): Promise<void> {
  const bytes = await readFile(file);
  await loadConfigIsolated(file);
  for (let i = 0; i < 100 && cachedConfig(file, bytes) === null; i++) await new Promise((r) => setTimeout(r, 20));
  assert.notEqual(cachedConfig(file, bytes), null, 'the validated config was kept');
}

void test('same bytes, same code: the kept config is the one the thread validated', { skip: CACHE_OFF }, async (t) => {
  const dir = await tempDir(t);
  enableCompileCache(path.join(dir, 'compile-cache'));
  const file = path.join(dir, 'banwall.yaml');
  await writeFile(file, stringify(testConfig(['udp://127.0.0.1:53'], { dns: { cache: { maxBytes: '2MiB' } } })));
  const fresh = await loadConfigIsolated(file);
  await loadAndKeep(file);
  const bytes = await readFile(file);
  const kept = cachedConfig(file, bytes);
  assert.deepEqual(kept, fresh);
  assert.equal(kept!.config.dns.cache.maxBytes, 2 * 1024 * 1024);
  // The next load takes the kept config (no thread), equal to what the thread gives.
  assert.deepEqual(await loadConfigIsolated(file), fresh);
  // The entry is the operator's only: it holds the config (tokens among it).
  assert.equal((await stat(entryFile(file)!)).mode & 0o777, 0o600);

  // Other bytes (a comment is enough): not kept, the thread validates them.
  await writeFile(file, `# edited\n${bytes.toString('utf8')}`);
  assert.equal(cachedConfig(file, await readFile(file)), null);
  // The same bytes at another path: not kept either (relative paths resolve against the file's dir).
  assert.equal(cachedConfig(path.join(dir, 'other.yaml'), bytes), null);
});

void test('a validating module that changed since: not kept', { skip: CACHE_OFF }, async (t) => {
  const dir = await tempDir(t);
  enableCompileCache(path.join(dir, 'compile-cache'));
  const file = path.join(dir, 'banwall.yaml');
  await writeFile(file, stringify(testConfig(['udp://127.0.0.1:53'])));
  const loaded = await loadConfigIsolated(file);
  const bytes = await readFile(file);
  // A stand-in for a schema file: its stamp is what the entry checks.
  const schema = path.join(dir, 'schema.ts');
  await writeFile(schema, 'export {};\n');
  const st = await stat(schema);
  await keepConfig(loaded, configKey(file, bytes), [[schema, st.size, st.mtimeMs]]);
  assert.deepEqual(cachedConfig(file, bytes), loaded);
  await utimes(schema, st.atime, new Date(st.mtimeMs + 5000));
  assert.equal(cachedConfig(file, bytes), null, 'an edited schema validates again');
  await keepConfig(loaded, configKey(file, bytes), [[path.join(dir, 'gone.ts'), 1, 1]]);
  assert.equal(cachedConfig(file, bytes), null, 'a validating file that is gone validates again');
});

void test('an invalid config is never kept; a damaged entry is ignored', { skip: CACHE_OFF }, async (t) => {
  const dir = await tempDir(t);
  enableCompileCache(path.join(dir, 'compile-cache'));
  const file = path.join(dir, 'banwall.yaml');
  await writeFile(file, 'dns:\n  listen: nope\n');
  await assert.rejects(loadConfigIsolated(file), ConfigError);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(existsSync(entryFile(file)!), false);

  await writeFile(file, stringify(testConfig(['udp://127.0.0.1:53'])));
  await writeFile(entryFile(file)!, 'not an entry');
  assert.equal(cachedConfig(file, await readFile(file)), null);
  await loadAndKeep(file); // validated again, and the damaged entry replaced
  assert.notEqual(cachedConfig(file, await readFile(file)), null);
});

void test('a restart after the config was edited serves the edited config', { skip: NO_DIG_KDIG }, async (t) => {
  const up = await startFakeUpstream({
    zone: {
      'one.example': [{ type: 'A', data: '192.0.2.1' }],
      'two.example': [{ type: 'A', data: '192.0.2.2' }],
    },
  });
  t.after(() => up.close());
  const dir = await tempDir(t);
  await writeFile(path.join(dir, 'one.txt'), 'one.example\n');
  await writeFile(path.join(dir, 'two.txt'), 'two.example\n');
  const withList = (source: string) =>
    testConfig([up.url], { lists: [{ name: 'l', app: 'wechat', category: 'core', source }] });
  for (const [source, blocked, allowed] of [
    ['one.txt', 'one.example', 'two.example'],
    ['one.txt', 'one.example', 'two.example'], // the same bytes: the kept config
    ['two.txt', 'two.example', 'one.example'], // edited at the same path: validated again
  ]) {
    const bw = await startBanwall(withList(source), { dir });
    try {
      assert.equal((await dig(bw.dnsPort, blocked)).status, 'NXDOMAIN', `${source}: ${blocked}`);
      assert.equal((await dig(bw.dnsPort, allowed)).status, 'NOERROR', `${source}: ${allowed}`);
    } finally {
      await bw.stop();
    }
  }
});

void test('an entry others could have written is ignored (the default cache is under /tmp)', { skip: CACHE_OFF }, async (t) => {
  const dir = await tempDir(t);
  enableCompileCache(path.join(dir, 'compile-cache'));
  const file = path.join(dir, 'banwall.yaml');
  await writeFile(file, stringify(testConfig(['udp://127.0.0.1:53'])));
  await loadAndKeep(file);
  const bytes = await readFile(file);
  const entry = entryFile(file)!;
  assert.notEqual(cachedConfig(file, bytes), null);
  await chmod(entry, 0o666);
  assert.equal(cachedConfig(file, bytes), null, 'a world-writable entry');
  await chmod(entry, 0o600);
  await chmod(path.dirname(entry), 0o777);
  t.after(() => chmod(path.dirname(entry), 0o700));
  assert.equal(cachedConfig(file, bytes), null, 'an entry in a world-writable directory');
});
