// Unbound as a peer: one thread (one core, like one banwall process), forwarding to the loopback
// upstream, the blocklist as `local-zone: "name." always_nxdomain`, no DNSSEC validation (the
// generated zone is unsigned; validation would only add work banwall does not do).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startReady } from '../lib/procs.ts';
import { freePort, waitForDnsAnswer } from '../lib/probe.ts';
import { PROBE_NAME, type DataFiles } from '../lib/gen.ts';
import type { DnsPeer, RunningServer } from './types.ts';

export function unbound(workDir: string, data: DataFiles): DnsPeer {
  const dir = path.join(workDir, 'unbound');
  mkdirSync(dir, { recursive: true });
  return {
    name: 'unbound',
    async start(listSize: number, upstreamPort: number): Promise<RunningServer> {
      const port = await freePort();
      const conf = path.join(dir, 'unbound.conf');
      writeFileSync(
        conf,
        `server:
  interface: 127.0.0.1
  port: ${port}
  do-ip6: no
  num-threads: 1
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: ""
  use-syslog: no
  logfile: "${dir}/unbound.log"
  verbosity: 0
  do-not-query-localhost: no
  module-config: "iterator"
  qname-minimisation: no
  access-control: 127.0.0.0/8 allow
  msg-cache-size: 64m
  rrset-cache-size: 128m
  include: "${data.lists.get(listSize)!.unbound}"
remote-control:
  control-enable: no
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@${upstreamPort}
`,
      );
      const { proc, ready } = await startReady(
        'unbound',
        'unbound',
        ['-d', '-c', conf],
        path.join(dir, 'unbound.out'),
        (alive, t0) => waitForDnsAnswer(port, PROBE_NAME, t0, 120_000, alive),
      );
      return { name: 'unbound', proc, port, readyMs: ready };
    },
  };
}
