// Installs the Debian packages the benchmark drives, only those missing. Packages that ship a
// service (unbound, nsd, squid, tinyproxy, dnsdist) must not start it on the system's ports: when the
// machine has no policy-rc.d, one that denies every start is put in place for the install only.
import { existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { run } from './procs.ts';

/** binary → Debian package. dnsmasq-base is dnsmasq without its system service. */
const NEEDED: Record<string, string> = {
  dnsperf: 'dnsperf',
  dnsmasq: 'dnsmasq-base',
  unbound: 'unbound',
  nsd: 'nsd',
  squid: 'squid',
  tinyproxy: 'tinyproxy',
  wrk: 'wrk',
  dnsdist: 'dnsdist',
  /** tinycdb's `cdb -c` builds dnsdist's CDB list. */
  cdb: 'tinycdb',
};

const POLICY_RC = '/usr/sbin/policy-rc.d';

async function has(bin: string): Promise<boolean> {
  const res = await run('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`], 5000);
  return res.code === 0;
}

export async function ensurePackages(log: (line: string) => void): Promise<void> {
  const missing: string[] = [];
  for (const [bin, pkg] of Object.entries(NEEDED)) if (!(await has(bin))) missing.push(pkg);
  if (missing.length === 0) return;
  log(`installing Debian packages: ${missing.join(' ')}`);
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : ['sudo', '-n'];
  let placedPolicy = false;
  if (root && !existsSync(POLICY_RC)) {
    writeFileSync(
      POLICY_RC,
      '#!/bin/sh\n# placed by banwall bench/lib/install.ts for one install\nexit 101\n',
      {
        mode: 0o755,
      },
    );
    placedPolicy = true;
  }
  try {
    const cmd = [...sudo, 'apt-get', 'install', '-y', '--no-install-recommends', ...missing];
    let res = await run(cmd[0], cmd.slice(1), 600_000, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (res.code !== 0 && /Unable to locate|no installation candidate/.test(res.stderr)) {
      const update = [...sudo, 'apt-get', 'update'];
      await run(update[0], update.slice(1), 300_000);
      res = await run(cmd[0], cmd.slice(1), 600_000, {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    }
    if (res.code !== 0) {
      throw new Error(`apt-get install ${missing.join(' ')} failed:\n${res.stderr.slice(-2000)}`);
    }
  } finally {
    if (placedPolicy) unlinkSync(POLICY_RC);
  }
}
