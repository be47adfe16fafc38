// The banwall config every events bench runs: one block list, loopback listeners on free ports, the
// parts that would add their own work (canaries, and what `more` turns off) off. `more` is merged at
// the top level (events, queryLog, audit).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './probe.ts';

export interface EventsBenchConfig {
  readonly conf: string;
  readonly dnsPort: number;
  readonly httpPort: number;
}

/** Writes `dir`/banwall.yaml (creating `dir`) for `list` (a domains file) and `upstream`. */
export async function writeEventsBenchConfig(
  dir: string,
  upstream: string,
  list: string,
  more: Record<string, unknown>,
): Promise<EventsBenchConfig> {
  mkdirSync(dir);
  const [dnsPort, httpPort] = [await freePort(), await freePort()];
  const conf = path.join(dir, 'banwall.yaml');
  writeFileSync(
    conf,
    stringify({
      log: { level: 'warn' },
      dns: { listen: [`127.0.0.1:${dnsPort}`], upstreams: [upstream] },
      lists: [{ name: 'bench', app: 'bench', category: 'core', source: list, format: 'domains' }],
      groups: [{ name: 'default', lists: ['bench'] }],
      http: { listen: [`127.0.0.1:${httpPort}`] },
      canaries: { enabled: false },
      ...more,
    }),
  );
  return { conf, dnsPort, httpPort };
}
