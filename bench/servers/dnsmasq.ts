// dnsmasq as a peer: a forwarding cache with the blocklist as `address=/name/` lines.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startReady } from '../lib/procs.ts';
import { freePort, waitForDnsAnswer } from '../lib/probe.ts';
import { PROBE_NAME, type DataFiles } from '../lib/gen.ts';
import type { DnsPeer, RunningServer } from './types.ts';

export function dnsmasq(workDir: string, data: DataFiles): DnsPeer {
  const dir = path.join(workDir, 'dnsmasq');
  mkdirSync(dir, { recursive: true });
  return {
    name: 'dnsmasq',
    async start(listSize: number, upstreamPort: number): Promise<RunningServer> {
      const port = await freePort();
      const conf = path.join(dir, 'dnsmasq.conf');
      writeFileSync(
        conf,
        [
          `port=${port}`,
          'listen-address=127.0.0.1',
          'bind-interfaces',
          'no-resolv',
          'no-hosts',
          'no-poll',
          `server=127.0.0.1#${upstreamPort}`,
          // The default (150 names) would turn the 10,000-name hit set into misses.
          'cache-size=20000',
          'dns-forward-max=1000',
          'user=root',
          'pid-file=',
          `log-facility=${dir}/dnsmasq.log`,
          `conf-file=${data.lists.get(listSize)!.dnsmasq}`,
          '',
        ].join('\n'),
      );
      const { proc, ready } = await startReady(
        'dnsmasq',
        'dnsmasq',
        ['-k', `--conf-file=${conf}`],
        path.join(dir, 'dnsmasq.out'),
        (alive, t0) => waitForDnsAnswer(port, PROBE_NAME, t0, 120_000, alive),
      );
      return { name: 'dnsmasq', proc, port, readyMs: ready };
    },
  };
}
