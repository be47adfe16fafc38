// Hosts files: `0.0.0.0 name [name…]` (any address, usually 0.0.0.0, 127.0.0.1 or ::). Each name
// is a suffix rule like any other entry (banwall blocks subdomains unless told otherwise); the
// usual loopback names (`localhost`, `broadcasthost`, …) are skipped. Keyword lines (`url`, `ip`) and
// single-name lines are accepted as in the domains format.
import type { ParsedList } from './parsed-list.ts';
import { parseDomainLine } from './domains.ts';
import { looksLikeIp } from './keyword-rules.ts';

const SKIP = new Set([
  'localhost',
  'localhost.localdomain',
  'local',
  'broadcasthost',
  'ip6-localhost',
  'ip6-loopback',
  'ip6-localnet',
  'ip6-mcastprefix',
  'ip6-allnodes',
  'ip6-allrouters',
  'ip6-allhosts',
  '0.0.0.0',
]);

export function parseHostsLine(out: ParsedList, text: string, s: number, e: number, lineNo: number): void {
  let ws = s;
  while (ws < e && text.charCodeAt(ws) !== 32 && text.charCodeAt(ws) !== 9) ws++;
  if (ws === e) return parseDomainLine(out, text, s, e, lineNo);
  const first = text.slice(s, ws);
  if (!looksLikeIp(first)) return parseDomainLine(out, text, s, e, lineNo);
  let i = ws;
  let any = false;
  while (i < e) {
    while (i < e && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    let j = i;
    while (j < e && text.charCodeAt(j) !== 32 && text.charCodeAt(j) !== 9) j++;
    if (j > i) {
      any = true;
      const name = j - i <= 21 ? text.slice(i, j).toLowerCase() : '';
      if (!SKIP.has(name) && !out.addName(text, i, j, 0, lineNo)) {
        out.bad(lineNo, text.slice(s, e), `"${text.slice(i, j)}" is not a valid domain name`);
      }
    }
    i = j;
  }
  if (!any) out.bad(lineNo, text.slice(s, e), 'a hosts line needs a name after the address');
}
