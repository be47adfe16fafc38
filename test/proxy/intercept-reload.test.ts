// Which hosts are decrypted follows the policy: a reload that adds a URL rule for a host makes the
// next CONNECT to it decrypted (and the rule bite on HTTPS); before it, the host is spliced.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBanwall, testConfig, type RunningBanwall } from '../helpers/banwall.ts';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { startTlsOrigin } from './fixtures.ts';
import { curl } from '../helpers/curl.ts';
import { issueLeaf, makeCa, type Pem } from '../helpers/certs.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('curl', 'openssl');

let dir: string;
let up: FakeUpstream;
let bw: RunningBanwall;
let bwCa: Pem;
let originCa: Pem;
let origin: Awaited<ReturnType<typeof startTlsOrigin>>;

before(async () => {
  if (TOOLS_SKIP) return; // every test here skips
  dir = await mkdtemp(path.join(tmpdir(), 'banwall-intercept-reload-'));
  bwCa = await makeCa(dir, 'banwall-ca', 'banwall reload test CA');
  originCa = await makeCa(dir, 'origin-ca', 'reload origin CA');
  const leaf = await issueLeaf(dir, 'origin', originCa, ['files.test']);
  origin = await startTlsOrigin({ key: Buffer.from(leaf.key), cert: Buffer.from(leaf.cert) });
  up = await startFakeUpstream({ zone: { 'files.test': [{ type: 'A', data: '127.0.0.1', ttl: 300 }] } });
  await writeFile(path.join(dir, 'rules.txt'), 'blocked.test\n');
  bw = await startBanwall(
    testConfig([up.url], {
      lists: [{ name: 'rules', app: 'wechat', category: 'download', source: 'rules.txt' }],
      proxy: {
        listen: ['127.0.0.1:0'],
        connectPorts: [origin.port],
        deniedTargets: [],
        allowInternal: ['127.0.0.0/8'],
        intercept: { ca: { cert: 'banwall-ca.pem', key: 'banwall-ca.key' } },
      },
    }),
    { dir, env: { NODE_EXTRA_CA_CERTS: originCa.certFile } },
  );
});

after(async () => {
  if (TOOLS_SKIP) return;
  await bw?.stop();
  await up?.close();
  await origin?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

void test(
  'a reload that adds a URL rule makes the host decrypted for the next tunnel',
  { skip: TOOLS_SKIP },
  async () => {
    const proxy = `http://127.0.0.1:${bw.proxyPort}`;
    const url = `https://files.test:${origin.port}/weixin/setup.exe`;
    // No URL rule names files.test: spliced, the origin's own certificate, the path served.
    const before = await curl(['--cacert', originCa.certFile, '-x', proxy, url]);
    assert.equal(before.status, 200);
    await writeFile(path.join(dir, 'rules.txt'), 'blocked.test\nurl =files.test /weixin/\n');
    bw.proc.kill('SIGHUP');
    await bw.waitForLog((l) => l.msg === 'policy reloaded');
    const after = await curl(['--cacert', bwCa.certFile, '-x', proxy, url]);
    assert.equal(after.exitCode, 0, 'banwall’s leaf now');
    assert.equal(after.status, 403);
    const other = await curl([
      '--cacert',
      bwCa.certFile,
      '-x',
      proxy,
      `https://files.test:${origin.port}/other`,
    ]);
    assert.equal(other.status, 200);
  },
);
