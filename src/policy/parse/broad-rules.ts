// Rules that block (or allow) a whole top-level domain or everything: `com`, `||com^`, `*.cn`,
// `co.uk`, `/./`, `/\.cn$/`, `ip 0.0.0.0/0`, `::/0`, `url * /`. One such line, from a typo or a
// half-written or hostile list, turns the resolver into an outage (or an allow into no blocking at
// all), so the policy refuses them unless the list says `allowBroad: true` (see README, "Broad rules").
//
// Names: a suffix rule on a single label (a TLD), or on one of the common two-label public
// suffixes below. There is no Public Suffix List dependency: the PSL's private part (github.io,
// …) is not "everything", and the rule this guard exists for is the one-label slip.
// Regexes cannot be inspected, so they are tried on probe names made of random labels under many
// TLDs (and under the pattern's last word, so `/\.shop$/` is judged on `.shop`):
// a regex is broad when it matches every probe under one TLD, or probes under two different TLDs.
// A targeted regex (`/^ad[0-9]+\.example\./`) matches none of them.
import { parseCidr } from '../match/ip-parse.ts';
import type { LinearRegex } from '../match/name-regex.ts';
import { RegexRuleSet } from '../match/regex-set.ts';
import type { UrlRuleSpec } from '../match/url-rule.ts';

/** Two-label public suffixes under which a registrable name is never a single organisation. */
export const PUBLIC_SUFFIXES_2 = new Set([
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'me.uk', 'ltd.uk', 'plc.uk',
  'com.cn', 'net.cn', 'org.cn', 'gov.cn', 'edu.cn', 'ac.cn',
  'com.hk', 'org.hk', 'com.tw', 'org.tw', 'com.mo',
  'com.au', 'net.au', 'org.au', 'co.nz', 'co.jp', 'ne.jp', 'or.jp', 'co.kr', 'or.kr',
  'co.in', 'com.sg', 'com.my', 'co.id', 'co.th', 'com.vn', 'com.ph', 'com.pk',
  'com.br', 'com.ar', 'com.mx', 'co.za', 'com.tr', 'com.ua', 'co.il', 'com.sa',
]); // prettier-ignore

/** Why a name rule (`flags` from match/name-table.ts) covers a whole public suffix, or null. */
export function broadName(name: string, labels: number, exact: boolean, allow: boolean): string | null {
  if (exact || labels > 2) return null;
  const suffix = name.toLowerCase().replace(/\.$/, '');
  if (labels === 2 && !PUBLIC_SUFFIXES_2.has(suffix)) return null;
  return `${allow ? 'allows' : 'blocks'} every name under ".${suffix}" (a public suffix)`;
}

const PROBE_TLDS = [
  'com', 'net', 'org', 'cn', 'uk', 'de', 'jp', 'ru', 'io', 'info', 'xyz', 'top', 'app', 'dev',
  'co', 'me', 'tv', 'cc', 'biz', 'edu', 'gov', 'arpa', 'co.uk', 'com.cn', 'qzvk',
]; // prettier-ignore
/** Random-looking names a targeted rule never matches; each is tried under every probe TLD. */
const PROBE_HOSTS = ['q7zx0k', 'www.m2vw9-pb', 'xk.b0rk.f4lq', 'cdn-3.q7zx0k', 'a', 'z9'];

/** A regex rule as the parser keeps it. */
interface RegexRule {
  readonly value: LinearRegex;
  readonly allow: boolean;
}

/**
 * Why each regex rule blocks (or allows) a whole TLD or everything: null where it does not. Every
 * probe name goes once through one automaton of all the rules (a list of 1,000 regexes costs a few
 * ms, not 150,000 separate tests); then each rule's last word is tried as a TLD.
 */
export function broadRegexes(rules: readonly RegexRule[]): (string | null)[] {
  const set = new RegexRuleSet(rules.map((r) => r.value));
  const T = PROBE_TLDS.length;
  const hits = new Uint8Array(rules.length * T);
  PROBE_TLDS.forEach((tld, t) => {
    for (const h of PROBE_HOSTS) for (const i of set.match(`${h}.${tld}`)) hits[i * T + t]++;
  });
  return rules.map((r, i) => {
    const verb = r.allow ? 'allows' : 'blocks';
    const full: string[] = [];
    const some: string[] = [];
    PROBE_TLDS.forEach((tld, t) => {
      const n = hits[i * T + t];
      if (n === PROBE_HOSTS.length) full.push(tld);
      else if (n > 0) some.push(tld);
    });
    if (full.length === T) return `${verb} every name (tried on probe names)`;
    if (full.length > 0) return `${verb} every name under ".${full[0]}" (tried on probe names)`;
    if (some.length >= 2)
      return `${verb} unrelated names under ".${some[0]}" and ".${some[1]}" (tried on probe names)`;
    // The pattern's last word as a TLD (`/\.shop$/`), unless it matches anywhere (`/weixin/`).
    const w = /([a-z][a-z0-9-]*)\)?\$?\)?$/i.exec(r.value.pattern())?.[1]?.toLowerCase();
    if (w === undefined) return null;
    let n = 0;
    for (const h of PROBE_HOSTS) if (r.value.test(`${h}.${w}`)) n++;
    if (n === PROBE_HOSTS.length && !r.value.test(`${w}.${PROBE_HOSTS[0]}.qzvk`))
      return `${verb} every name under ".${w}" (tried on probe names)`;
    return null;
  });
}

/** Shortest prefix accepted without `allowBroad`: a /8 (IPv4) is more than any one network holds. */
const MIN_PREFIX_V4 = 8;
const MIN_PREFIX_V6 = 16;

/** Why an IP rule covers (nearly) every address, or null. */
export function broadIp(cidr: string, allow: boolean): string | null {
  const c = parseCidr(cidr);
  if (c === null) return null;
  const min = c.family === 4 ? MIN_PREFIX_V4 : MIN_PREFIX_V6;
  if (c.prefix >= min) return null;
  const what = c.prefix === 0 ? `every IPv${c.family} address` : `more than a /${min} of IPv${c.family}`;
  return `${allow ? 'allows' : 'blocks'} ${what}`;
}

const PROBE_PATHS = ['/', '/index.html', '/q7zx0k/m2vw9.bin'];

/** Why a URL rule matches every request to every host (or to a whole TLD), or null. */
export function broadUrl(spec: UrlRuleSpec, allow: boolean): string | null {
  if (spec.param !== null) return null;
  let hosts: string;
  if (spec.hostKind === 'any') hosts = 'every host';
  else if (spec.hostKind === 'suffix' && broadName(spec.host, labelCount(spec.host), false, allow))
    hosts = `every host under ".${spec.host}"`;
  else return null;
  if (!PROBE_PATHS.every((p) => spec.path.test(p))) return null;
  return `${allow ? 'allows' : 'blocks'} every request to ${hosts}`;
}

function labelCount(name: string): number {
  let n = 1;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) === 46) n++;
  return n;
}
