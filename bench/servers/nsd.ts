// The upstream of every resolver: NSD, authoritative for the generated `bench.` zone, on loopback.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startReady } from '../lib/procs.ts';
import { freePort, waitForDnsAnswer } from '../lib/probe.ts';
import { PROBE_NAME, ZONE } from '../lib/gen.ts';
import type { RunningServer } from './types.ts';

export async function startNsd(workDir: string, zoneFile: string): Promise<RunningServer> {
  const dir = path.join(workDir, 'nsd');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = path.join(dir, 'nsd.conf');
  writeFileSync(
    conf,
    `server:
  ip-address: 127.0.0.1@${port}
  port: ${port}
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  database: ""
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  logfile: "${dir}/nsd.log"
  verbosity: 0
  hide-version: yes
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "${ZONE}"
  zonefile: "${zoneFile}"
`,
  );
  const { proc, ready } = await startReady(
    'nsd',
    'nsd',
    ['-d', '-c', conf],
    path.join(dir, 'nsd.out'),
    (alive, t0) => waitForDnsAnswer(port, PROBE_NAME, t0, 30_000, alive),
  );
  return { name: 'nsd', proc, port, readyMs: ready };
}
