// DoT and DoH through a real banwall process in front of a fake upstream, asked with kdig: the same
// chain (cache, blocking) answers all four transports.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBanwall, testConfig, type RunningBanwall } from '../../helpers/banwall.ts';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream/dns.ts';
import { dig, kdigEncrypted, NO_DIG_KDIG } from '../../helpers/dig.ts';
import { issueLeaf, makeCa, type TestCa } from '../../helpers/certs.ts';

void describe('encrypted DNS through banwall', { skip: NO_DIG_KDIG }, () => {
  let ca: TestCa;
  let upstream: FakeUpstream;
  let bw: RunningBanwall;
  let dotPort: number;
  let dohPort: number;

  before(async () => {
    ca = await makeCa();
    const dir = await mkdtemp(path.join(tmpdir(), 'banwall-enc-e2e-'));
    await issueLeaf(ca.dir, 'srv', ca);
    await copyFile(path.join(ca.dir, 'srv.pem'), path.join(dir, 'tls.crt'));
    await copyFile(path.join(ca.dir, 'srv.key'), path.join(dir, 'tls.key'));
    await writeFile(path.join(dir, 'blocked.txt'), 'blocked.example\n');
    upstream = await startFakeUpstream({
      zone: {
        'www.example': [{ type: 'A', data: '192.0.2.10', ttl: 120 }],
        'blocked.example': [{ type: 'A', data: '192.0.2.66' }],
      },
    });
    bw = await startBanwall(
      testConfig([upstream.url], {
        dns: {
          dot: { listen: ['127.0.0.1:0'], cert: 'tls.crt', key: 'tls.key' },
          doh: { listen: ['127.0.0.1:0'], cert: 'tls.crt', key: 'tls.key' },
        },
        lists: [{ name: 'test-block', app: 'wechat', category: 'core', source: 'blocked.txt' }],
        groups: [{ name: 'default', lists: ['test-block'] }],
      }),
      { dir },
    );
    const line = await bw.waitForLog((l) => l.msg === 'encrypted DNS listening');
    dotPort = (line.dot as { port: number }[])[0].port;
    dohPort = (line.doh as { port: number }[])[0].port;
  });

  after(async () => {
    await bw?.stop();
    await upstream?.close();
    if (bw) await rm(bw.dir, { recursive: true, force: true });
    if (ca) await rm(ca.dir, { recursive: true, force: true });
  });

  void it('answers the same name over UDP, DoT, DoH POST and DoH GET', async () => {
    const udp = await dig(bw.dnsPort, 'www.example');
    assert.equal(udp.answers[0]?.data, '192.0.2.10');
    for (const transport of ['tls', 'https', 'https-get'] as const) {
      const r = await kdigEncrypted(
        transport,
        transport === 'tls' ? dotPort : dohPort,
        'www.example',
        'A',
        ca.certFile,
      );
      assert.equal(r.status, 'NOERROR', `${transport}: ${r.raw}`);
      assert.equal(r.answers[0]?.data, '192.0.2.10', transport);
    }
    // One upstream query: the encrypted front ends share the cache with UDP.
    assert.equal(upstream.queries.filter((q) => q.name === 'www.example').length, 1);
  });

  void it('blocks over DoT and DoH as over UDP', async () => {
    for (const transport of ['tls', 'https'] as const) {
      const r = await kdigEncrypted(
        transport,
        transport === 'tls' ? dotPort : dohPort,
        'blocked.example',
        'A',
        ca.certFile,
      );
      assert.equal(r.status, 'NXDOMAIN', `${transport}: ${r.raw}`);
    }
    assert.equal(upstream.queries.filter((q) => q.name === 'blocked.example').length, 0);
  });
});
