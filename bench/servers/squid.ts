// Squid as a proxy peer: no cache, no logs on the request path, the blocklist as a `dstdomain`
// ACL (`-n`: never reverse-resolve an IP-literal target just to test it against names).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startReady } from '../lib/procs.ts';
import { freePort, waitForTcp } from '../lib/probe.ts';
import { PROXY_LIST_SIZE, type DataFiles } from '../lib/gen.ts';
import type { ProxyPeer, RunningServer } from './types.ts';

export function squid(workDir: string, data: DataFiles): ProxyPeer {
  const dir = path.join(workDir, 'squid');
  mkdirSync(dir, { recursive: true });
  // Squid drops to its own user after start; it must be able to write its log and pid here.
  chmodSync(dir, 0o777);
  return {
    name: 'squid',
    async start(): Promise<RunningServer> {
      const port = await freePort();
      const conf = path.join(dir, 'squid.conf');
      writeFileSync(
        conf,
        `http_port 127.0.0.1:${port}
visible_hostname bench
pid_filename ${dir}/squid.pid
cache_log ${dir}/cache.log
access_log none
cache_store_log none
logfile_rotate 0
cache deny all
cache_mem 0 MB
pinger_enable off
shutdown_lifetime 0 seconds
workers 1
max_filedescriptors 8192
# Never a real resolver: any name Squid must resolve goes to loopback (nothing here needs one).
dns_nameservers 127.0.0.1
hosts_file none
acl blocked dstdomain -n "${data.lists.get(PROXY_LIST_SIZE)!.squid}"
acl localnet src 127.0.0.0/8
acl Safe_ports port 1-65535
http_access deny blocked
http_access allow localnet
http_access deny all
`,
      );
      const { proc, ready } = await startReady(
        'squid',
        'squid',
        ['-N', '-f', conf],
        path.join(dir, 'squid.out'),
        async (alive, t0) => {
          await waitForTcp(port, 60_000, alive);
          return performance.now() - t0;
        },
      );
      return { name: 'squid', proc, port, readyMs: ready };
    },
  };
}
