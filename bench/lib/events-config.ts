// The banwall config every events bench runs: one block list, loopback listeners on free ports, the
// parts that would add their own work (canaries, and what `more` turns off) off. `more` is merged at
// the top level (events, queryLog, audit). Their inputs: the list and dnsperf's query files.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** Names in the events benches' block list: each is asked in turn by the blocked query file. */
export const EVENTS_LIST_NAMES = 10_000;
/** Names in the hits query file (cached after their first answer; no event with blocks only). */
const HIT_NAMES = 1000;

export interface EventsBenchData {
  readonly dir: string;
  /** `b<i>.blocked.bench`, one a line (format: domains). */
  readonly list: string;
  /** dnsperf input: every listed name, type A. */
  readonly blockedQ: string;
  /** dnsperf input: `h<i>.bench`, names no list holds. */
  readonly hitsQ: string;
}

/** A new temporary directory (`prefix`…) with the list and the two query files. */
export function writeEventsBenchData(prefix: string): EventsBenchData {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const names = Array.from({ length: EVENTS_LIST_NAMES }, (_, i) => `b${i}.blocked.bench`);
  const list = path.join(dir, 'list.txt');
  writeFileSync(list, names.join('\n'));
  const blockedQ = path.join(dir, 'blocked.q');
  writeFileSync(blockedQ, names.map((n) => `${n} A`).join('\n'));
  const hitsQ = path.join(dir, 'hits.q');
  writeFileSync(hitsQ, Array.from({ length: HIT_NAMES }, (_, i) => `h${i}.bench A`).join('\n'));
  return { dir, list, blockedQ, hitsQ };
}
