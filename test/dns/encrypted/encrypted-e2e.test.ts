// DoT and DoH through a real banwall process in front of a fake upstream, asked with kdig: the same
// chain (cache, blocking) answers all four transports.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { banwallSuite } from '../../helpers/banwall-suite.ts';
import { dig, kdigEncrypted, NO_DIG_KDIG, type Transport } from '../../helpers/dig.ts';
import { encryptedPorts, listenerCert } from '../../helpers/encrypted-listeners.ts';
import type { TestCa } from '../../helpers/certs.ts';

void describe('encrypted DNS through banwall', { skip: NO_DIG_KDIG }, () => {
  let ca: TestCa;
  let dotPort: number;
  let dohPort: number;

  const suite = banwallSuite(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'banwall-enc-e2e-'));
    ca = await listenerCert(dir);
    await writeFile(path.join(dir, 'blocked.txt'), 'blocked.example\n');
    return {
      upstream: {
        zone: {
          'www.example': [{ type: 'A', data: '192.0.2.10', ttl: 120 }],
          'blocked.example': [{ type: 'A', data: '192.0.2.66' }],
        },
      },
      config: {
        dns: {
          dot: { listen: ['127.0.0.1:0'], cert: 'tls.crt', key: 'tls.key' },
          doh: { listen: ['127.0.0.1:0'], cert: 'tls.crt', key: 'tls.key' },
        },
        lists: [{ name: 'test-block', app: 'wechat', category: 'core', source: 'blocked.txt' }],
        groups: [{ name: 'default', lists: ['test-block'] }],
      },
      start: { dir },
    };
  });

  before(async () => {
    const ports = await encryptedPorts(suite.bw);
    dotPort = ports.dot!;
    dohPort = ports.doh!;
  });

  after(async () => {
    if (suite.bw) await rm(suite.bw.dir, { recursive: true, force: true });
    if (ca) await rm(ca.dir, { recursive: true, force: true });
  });

  /** kdig for `name` A over `transport`, to banwall's listener of that transport. */
  const ask = (transport: Transport, name: string) =>
    kdigEncrypted(transport, transport === 'tls' ? dotPort : dohPort, name, 'A', ca.certFile);

  void it('answers the same name over UDP, DoT, DoH POST and DoH GET', async () => {
    const udp = await dig(suite.bw.dnsPort, 'www.example');
    assert.equal(udp.answers[0]?.data, '192.0.2.10');
    for (const transport of ['tls', 'https', 'https-get'] as const) {
      const r = await ask(transport, 'www.example');
      assert.equal(r.status, 'NOERROR', `${transport}: ${r.raw}`);
      assert.equal(r.answers[0]?.data, '192.0.2.10', transport);
    }
    // One upstream query: the encrypted front ends share the cache with UDP.
    assert.equal(suite.up.queries.filter((q) => q.name === 'www.example').length, 1);
  });

  void it('blocks over DoT and DoH as over UDP', async () => {
    for (const transport of ['tls', 'https'] as const) {
      const r = await ask(transport, 'blocked.example');
      assert.equal(r.status, 'NXDOMAIN', `${transport}: ${r.raw}`);
    }
    assert.equal(suite.up.queries.filter((q) => q.name === 'blocked.example').length, 0);
  });
});
