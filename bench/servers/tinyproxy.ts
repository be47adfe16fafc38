// tinyproxy as a proxy peer: the blocklist as its `Filter` file, matched with fnmatch (its fastest
// matcher, per its manual), exact names only.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startReady } from '../lib/procs.ts';
import { freePort, waitForTcp } from '../lib/probe.ts';
import { PROXY_LIST_SIZE, type DataFiles } from '../lib/gen.ts';
import type { ProxyPeer, RunningServer } from './types.ts';

export function tinyproxy(workDir: string, data: DataFiles): ProxyPeer {
  const dir = path.join(workDir, 'tinyproxy');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  return {
    name: 'tinyproxy',
    async start(): Promise<RunningServer> {
      const port = await freePort();
      const conf = path.join(dir, 'tinyproxy.conf');
      writeFileSync(
        conf,
        `Port ${port}
Listen 127.0.0.1
Timeout 60
MaxClients 1000
LogLevel Critical
LogFile "${dir}/tinyproxy.log"
Allow 127.0.0.1
ViaProxyName "bench"
Filter "${data.lists.get(PROXY_LIST_SIZE)!.tinyproxy}"
FilterType fnmatch
FilterCaseSensitive Yes
ConnectPort 443
`,
      );
      const { proc, ready } = await startReady(
        'tinyproxy',
        'tinyproxy',
        ['-d', '-c', conf],
        path.join(dir, 'tinyproxy.out'),
        async (alive, t0) => {
          await waitForTcp(port, 60_000, alive);
          return performance.now() - t0;
        },
      );
      return { name: 'tinyproxy', proc, port, readyMs: ready };
    },
  };
}
