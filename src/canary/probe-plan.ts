// What the canaries ask: one name (and one URL where the list has URL rules) per enforced list, taken
// from the list's own text, plus the operator's `canaries.probes`.
//
// The compiled policy keeps hashes, not names, so the probe is read from the list file (or the cached
// copy of a remote list): the first name entry, in file order. It is chosen from the text and never
// from what the policy currently blocks; otherwise an allow rule added for that name would just move
// the canary to the next name and the broken ban would go unnoticed.
import { open } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { cachePaths, isUrl } from '../policy/sources/remote-list.ts';
import { isMonitored } from '../policy/config-rules.ts';

export interface Probe {
  readonly app: string;
  readonly category: string;
  /** `name`: DNS layers, HTTP and CONNECT; `url`: HTTP only. */
  readonly kind: 'name' | 'url';
  /** A domain name, or an http:// URL. */
  readonly target: string;
  /** The list it was taken from, or `canaries.probes[N]`. */
  readonly origin: string;
}

export interface Skipped {
  readonly list: string;
  readonly reason: string;
}

export interface ProbePlan {
  readonly probes: readonly Probe[];
  readonly skipped: readonly Skipped[];
}

/** Only the head of a list is read: a million-line list costs no more than a short one. */
const HEAD_BYTES = 64 * 1024;

/**
 * Plans the probes for the lists that apply to `group` (the group the probe source falls in).
 * `dir` is the config file's directory, against which list paths and `blocking.cacheDir` resolve.
 */
export async function planProbes(cfg: Config, dir: string, group: string): Promise<ProbePlan> {
  const probes: Probe[] = [];
  const skipped: Skipped[] = [];
  const spec = cfg.groups.find((g) => g.name === group);
  // Without a `default` group, every list applies to clients in no group (compiled/groups.ts).
  const applied = spec ? new Set(spec.lists) : group === 'default' ? null : new Set<string>();
  const cacheDir = path.resolve(dir, cfg.blocking.cacheDir);
  for (const list of cfg.lists) {
    if (applied !== null && !applied.has(list.name)) {
      skipped.push({
        list: list.name,
        reason: `not applied to group ${group}, which the probe source is in`,
      });
      continue;
    }
    if (isMonitored(list, cfg.blocking)) {
      // Monitor (dry-run) mode blocks nothing, so a probe of it would only ever fail.
      skipped.push({ list: list.name, reason: 'in monitor mode (dry-run): not expected to block' });
      continue;
    }
    const file = isUrl(list.source)
      ? cachePaths(cacheDir, list.name, list.source).text
      : path.resolve(dir, list.source);
    const head = await readHead(file);
    if (head === null) {
      skipped.push({ list: list.name, reason: `cannot read ${file}` });
      continue;
    }
    const found = pickTargets(head);
    const base = { app: list.app, category: list.category, origin: list.name };
    if (found.name !== null) probes.push({ ...base, kind: 'name', target: found.name });
    if (found.url !== null) probes.push({ ...base, kind: 'url', target: found.url });
    if (found.name === null && found.url === null) {
      skipped.push({
        list: list.name,
        reason: `no name or URL rule in its first ${HEAD_BYTES / 1024} KiB (regex and IP rules are not probed)`,
      });
    }
  }
  cfg.canaries.probes.forEach((p, i) => {
    const kind = p.target.startsWith('http://') ? 'url' : 'name';
    const target = kind === 'name' ? p.target.toLowerCase().replace(/\.$/, '') : p.target;
    probes.push({ app: p.app, category: p.category, kind, target, origin: `canaries.probes[${i}]` });
  });
  return { probes, skipped };
}

async function readHead(file: string): Promise<string | null> {
  try {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
      const text = buf.toString('utf8', 0, bytesRead);
      // Drop a last line cut in the middle.
      return bytesRead === HEAD_BYTES ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}

const NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)+$/;

/** The first blocking name entry and the first URL rule of a list's text (any of its formats). */
export function pickTargets(text: string): { name: string | null; url: string | null } {
  let name: string | null = null;
  let url: string | null = null;
  for (const raw of text.split('\n')) {
    if (name !== null && url !== null) break;
    const line = raw.replace(/\s#.*$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!') || line.startsWith('@@')) continue;
    const words = line.split(/\s+/);
    if (words[0] === 'url') {
      url ??= urlOf(words.slice(1));
      continue;
    }
    if (name !== null || words[0] === 'ip' || line.startsWith('/')) continue;
    // hosts format: `0.0.0.0 name …`; adblock: `||name^`; domains: `name`, `=name`, `*.name`.
    let candidate = isIP(words[0]) !== 0 ? (words[1] ?? '') : words.length === 1 ? words[0] : '';
    const adblock = /^\|\|([^/^$|*]+)\^?$/.exec(candidate);
    if (adblock) candidate = adblock[1];
    // A subdomains-only rule blocks any name under it; `banwall-canary` marks the probe in logs.
    if (candidate.startsWith('*.')) candidate = `banwall-canary.${candidate.slice(2)}`;
    else if (candidate.startsWith('=')) candidate = candidate.slice(1);
    candidate = candidate.toLowerCase().replace(/\.$/, '');
    if (NAME.test(candidate) && isIP(candidate) === 0 && candidate !== 'localhost') name = candidate;
  }
  return { name, url };
}

/** `url HOST PATH [?K=V] [nocase]` → a URL the rule matches, or null for a host of `*`. */
function urlOf(words: readonly string[]): string | null {
  if (words.length < 2 || !words[1].startsWith('/')) return null;
  const host = words[0].toLowerCase().replace(/^=/, '').replace(/\.$/, '');
  if (!NAME.test(host) || isIP(host) !== 0) return null; // an IP host would skip the fenced lookup
  // Fill each wildcard with one segment's worth of text; `**/` may match no segment at all.
  const p = words[1]
    .replace(/\|$/, '')
    .replaceAll('**/', '')
    .replaceAll('**', 'banwall-canary')
    .replaceAll('*', 'banwall-canary');
  let query = '';
  for (const w of words.slice(2)) {
    const eq = w.indexOf('=');
    if (w.startsWith('?') && eq > 1) {
      query = `?${encodeURIComponent(decode(w.slice(1, eq)))}=${encodeURIComponent(decode(w.slice(eq + 1)))}`;
    }
  }
  const target = `http://${host}${p}${query}`;
  return URL.canParse(target) ? target : null;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
