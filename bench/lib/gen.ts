// Generated inputs: the upstream's zone, the dnsperf query files, and blocklists of each size in
// every server's native form, so that all servers block exactly the same names. Files are written
// once into bench/work/data and reused by later runs (they are deterministic).
import { createWriteStream, existsSync, mkdirSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { run } from './procs.ts';

export const ZONE = 'bench.';
export const ZONE_NAMES = 100_000;
export const LIST_SIZES = [0, 100_000, 1_000_000] as const;
export const PROXY_LIST_SIZE = 100_000;
/** Distinct names in the hit set (a warmed working set, as a busy network's top names). */
export const HIT_NAMES = 10_000;
/** Distinct never-asked names for the miss scenario: more than any server answers in one run. */
export const MISS_NAMES = 1_500_000;

export const hitName = (i: number): string => `h${i}.bench`;
export const missName = (i: number): string => `m${i}.miss.bench`;
/** Blocklist names look like real ones: several labels, many distinct parents. */
export const blockedName = (i: number): string => `ad${i}.t${i % 4999}.tracker${i % 97}.test`;
/** The name every probe asks: in the zone, never blocked. */
export const PROBE_NAME = 'probe.bench';
/** The host the proxy's "blocked" scenario asks for: in every list of ≥ 1 name. */
export const PROXY_BLOCKED_HOST = blockedName(12_345);

export interface DataFiles {
  dir: string;
  zone: string;
  queries: { hits: string; blocked: string; mix: string; miss: string };
  /** Per list size: the plain list (banwall) and each peer's native form. */
  lists: Map<
    number,
    { plain: string; dnsmasq: string; unbound: string; squid: string; tinyproxy: string; cdb: string }
  >;
}

async function writeLines(file: string, count: number, line: (i: number) => string): Promise<void> {
  if (existsSync(file)) return;
  const tmp = `${file}.tmp`;
  const out = createWriteStream(tmp);
  let chunk: string[] = [];
  for (let i = 0; i < count; i++) {
    chunk.push(line(i));
    if (chunk.length === 10_000) {
      if (!out.write(chunk.join('\n') + '\n')) await once(out, 'drain');
      chunk = [];
    }
  }
  if (chunk.length > 0) out.write(chunk.join('\n') + '\n');
  out.end();
  await once(out, 'finish');
  renameSync(tmp, file);
}

/** A name in DNS wire form (length-prefixed labels, root byte): dnsdist's key for suffix lookups. */
function wireName(name: string): string {
  return (
    name
      .split('.')
      .map((l) => String.fromCharCode(l.length) + l)
      .join('') + '\0'
  );
}

/**
 * dnsdist's list: a CDB keyed by wire-form names (KeyValueLookupKeySuffix looks up the name and each
 * parent, so a key blocks the name and its subdomains, as the other servers' lists do). Built by
 * tinycdb's `cdb -c` from its `+klen,dlen:key->data` input; labels are ASCII, so characters = bytes.
 */
export async function writeCdb(file: string, count: number): Promise<void> {
  if (existsSync(file)) return;
  const input = `${file}.in`;
  await writeLines(input, count + 1, (i) => {
    if (i === count) return ''; // the empty line that ends the input
    const key = wireName(blockedName(i));
    return `+${key.length},1:${key}->1`;
  });
  const res = await run('cdb', ['-c', '-t', `${file}.tmp`, file, input], 300_000);
  if (res.code !== 0) throw new Error(`cdb -c ${file}: ${res.stderr}`);
  unlinkSync(input);
}

export async function generate(workDir: string): Promise<DataFiles> {
  const dir = path.join(workDir, 'data');
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);

  // The zone: SOA, NS, ZONE_NAMES A records, the probe, and a wildcard that answers every miss name.
  const zoneHead = [
    `$ORIGIN ${ZONE}`,
    '$TTL 3600',
    '@ IN SOA ns.bench. hostmaster.bench. 1 3600 600 86400 300',
    '@ IN NS ns.bench.',
    'ns IN A 127.0.0.1',
    'probe IN A 127.0.0.1',
    'origin IN A 127.0.0.1',
    '*.miss IN A 10.255.0.1',
  ];
  await writeLines(f('bench.zone'), zoneHead.length + ZONE_NAMES, (i) =>
    i < zoneHead.length
      ? zoneHead[i]
      : `h${i - zoneHead.length} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  );

  // Query files (dnsperf format: "name type").
  const step = Math.floor(LIST_SIZES[LIST_SIZES.length - 1] / HIT_NAMES);
  await writeLines(f('q-hits.txt'), HIT_NAMES, (i) => `${hitName(i)} A`);
  // Blocked names spread over the whole 1 M list (every `step`-th name).
  await writeLines(f('q-blocked.txt'), HIT_NAMES, (i) => `${blockedName(i * step)} A`);
  // 90 % hits, 10 % blocked, interleaved so every stretch of the run has the same mix.
  await writeLines(f('q-mix.txt'), HIT_NAMES, (i) =>
    i % 10 === 9 ? `${blockedName(Math.floor(i / 10) * step)} A` : `${hitName(i)} A`,
  );
  await writeLines(f('q-miss.txt'), MISS_NAMES, (i) => `${missName(i)} A`);

  const lists: DataFiles['lists'] = new Map();
  for (const n of LIST_SIZES) {
    const entry = {
      plain: f(`list-${n}.txt`),
      dnsmasq: f(`dnsmasq-${n}.conf`),
      unbound: f(`unbound-${n}.conf`),
      squid: f(`squid-${n}.txt`),
      tinyproxy: f(`tinyproxy-${n}.txt`),
      cdb: f(`dnsdist-${n}.cdb`),
    };
    await writeLines(entry.plain, n, blockedName);
    // dnsmasq: `address=/name/` with no address answers NXDOMAIN for the name and its subdomains.
    await writeLines(entry.dnsmasq, n, (i) => `address=/${blockedName(i)}/`);
    // Unbound: the same semantics (the name and everything below it).
    await writeLines(entry.unbound, n, (i) => `local-zone: "${blockedName(i)}." always_nxdomain`);
    await writeCdb(entry.cdb, n);
    if (n === PROXY_LIST_SIZE || n === 0) {
      // Squid dstdomain: a leading dot matches the name and its subdomains.
      await writeLines(entry.squid, n, (i) => `.${blockedName(i)}`);
      // tinyproxy (FilterType fnmatch): the exact name, its cheapest form.
      await writeLines(entry.tinyproxy, n, blockedName);
    }
    lists.set(n, entry);
  }
  return {
    dir,
    zone: f('bench.zone'),
    queries: {
      hits: f('q-hits.txt'),
      blocked: f('q-blocked.txt'),
      mix: f('q-mix.txt'),
      miss: f('q-miss.txt'),
    },
    lists,
  };
}
