// Which hosts are decrypted follows the policy: a reload that adds a URL rule for a host makes the
// next CONNECT to it decrypted (and the rule bite on HTTPS); before it, the host is spliced.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { aRecords, startProxiedBanwall, startTrustedOrigin, type ProxiedBanwall } from './banwall-proxy.ts';
import { curl } from '../helpers/curl.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('curl', 'openssl');

let stack: ProxiedBanwall;
let trusted: Awaited<ReturnType<typeof startTrustedOrigin>>;

before(async () => {
  if (TOOLS_SKIP) return; // every test here skips
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-intercept-reload-'));
  await writeFile(path.join(dir, 'rules.txt'), 'blocked.test\n');
  trusted = await startTrustedOrigin(dir, ['files.test']);
  stack = await startProxiedBanwall({
    dir,
    zone: aRecords(['files.test']),
    config: { lists: [{ name: 'rules', app: 'wechat', category: 'download', source: 'rules.txt' }] },
    proxy: { connectPorts: [trusted.origin.port] },
    intercept: trusted,
    closeWith: [trusted.origin],
  });
});

after(async () => {
  await stack?.close();
});

void test(
  'a reload that adds a URL rule makes the host decrypted for the next tunnel',
  { skip: TOOLS_SKIP },
  async () => {
    const proxy = stack.proxyUrl;
    const url = `https://files.test:${trusted.origin.port}/weixin/setup.exe`;
    // No URL rule names files.test: spliced, the origin's own certificate, the path served.
    const before = await curl(['--cacert', trusted.originCa.certFile, '-x', proxy, url]);
    assert.equal(before.status, 200);
    await writeFile(path.join(stack.dir, 'rules.txt'), 'blocked.test\nurl =files.test /weixin/\n');
    assert.equal((await stack.bw.sighup()).msg, 'policy reloaded');
    const after = await curl(['--cacert', trusted.bwCa.certFile, '-x', proxy, url]);
    assert.equal(after.exitCode, 0, 'banwall’s leaf now');
    assert.equal(after.status, 403);
    const other = await curl([
      '--cacert',
      trusted.bwCa.certFile,
      '-x',
      proxy,
      `https://files.test:${trusted.origin.port}/other`,
    ]);
    assert.equal(other.status, 200);
  },
);
