// dnsdist as a peer, in its best configuration for this job: its packet cache in front of the loopback
// upstream, and the blocklist as a CDB file (one mmap, no per-name work at start) matched by
// KeyValueStoreLookupRule with a suffix key (the name and its parents, as the other servers block
// subdomains), answered NXDOMAIN by RCodeAction. One listener; dnsdist adds its own responder and
// health-check threads, which is how it always runs. Security polling is off: loopback only.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startReady } from '../lib/procs.ts';
import { freePort, waitForDnsAnswer } from '../lib/probe.ts';
import { PROBE_NAME, type DataFiles } from '../lib/gen.ts';
import type { DnsPeer, RunningServer } from './types.ts';

export function dnsdist(workDir: string, data: DataFiles): DnsPeer {
  const dir = path.join(workDir, 'dnsdist');
  mkdirSync(dir, { recursive: true });
  return {
    name: 'dnsdist',
    async start(listSize: number, upstreamPort: number): Promise<RunningServer> {
      const port = await freePort();
      const conf = path.join(dir, 'dnsdist.conf');
      writeFileSync(
        conf,
        `setSecurityPollSuffix('')
setLocal('127.0.0.1:${port}')
newServer({address='127.0.0.1:${upstreamPort}', name='upstream', checkName='${PROBE_NAME}.', checkInterval=60})
setServerPolicy(firstAvailable)
-- As large as the others' caches (Unbound 64 MB of messages, banwall 100,000 answers).
pc = newPacketCache(100000, {maxTTL=86400, minTTL=0, temporaryFailureTTL=60, staleTTL=60})
getPool(''):setCache(pc)
kvs = newCDBKVStore('${data.lists.get(listSize)!.cdb}', 0)
addAction(KeyValueStoreLookupRule(kvs, KeyValueLookupKeySuffix()), RCodeAction(DNSRCode.NXDOMAIN))
`,
      );
      const { proc, ready } = await startReady(
        'dnsdist',
        'dnsdist',
        ['--supervised', '--disable-syslog', '-C', conf],
        path.join(dir, 'dnsdist.out'),
        (alive, t0) => waitForDnsAnswer(port, PROBE_NAME, t0, 120_000, alive),
      );
      return { name: 'dnsdist', proc, port, readyMs: ready };
    },
  };
}
