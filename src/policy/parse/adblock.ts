// Adblock-style DNS lists (AdGuard Home / uBlock "DNS" syntax):
//   ||name^        the name and every subdomain      |name^   that name only
//   @@||name^      exception (allow)                 /regex/  regular expression on the name
//   ! comment      [Adblock Plus 2.0] header          $important, $all, $dnsrewrite=NXDOMAIN: accepted
// Cosmetic rules (`##`), path rules and other modifiers do not apply to DNS: counted as bad lines.
// Hosts lines and plain names inside an adblock list are accepted as AdGuard accepts them.
import { EXACT } from '../match/name-table.ts';
import type { ParsedList } from './parsed-list.ts';
import { parseDomainLine } from './domains.ts';
import { parseHostsLine } from './hosts.ts';
import { parseKeywordLine, addRegex } from './keyword-rules.ts';

const OK_MODIFIERS = /^(important|all|document|dnsrewrite=(nxdomain|refused|nodata))$/i;

export function parseAdblockLine(out: ParsedList, text: string, s: number, e: number, lineNo: number): void {
  let c = text.charCodeAt(s);
  if (c === 33 || (c === 91 && text.charCodeAt(e - 1) === 93)) return; // ! comment, [header]
  const line = text.slice(s, e);
  let allow = false;
  let p = s;
  if (c === 64 && text.charCodeAt(s + 1) === 64) {
    allow = true;
    p += 2;
    c = text.charCodeAt(p);
  }
  if (c !== 124 && c !== 47) {
    if (line.includes('##') || line.includes('#@#') || line.includes('#?#')) {
      out.bad(lineNo, line, 'cosmetic rule: not a DNS rule');
      return;
    }
    if (allow) {
      if (!parseKeywordLine(out, text.slice(p, e), lineNo, true)) {
        parseDomainLine(out, text, s, e, lineNo); // `@@name` is the native exception form
      }
      return;
    }
    return parseHostsLine(out, text, s, e, lineNo);
  }
  if (c === 47) {
    // `/re$/` ends with the regex; `/re/$important` has modifiers after it.
    const dollar = line.lastIndexOf('$');
    const cut = text.charCodeAt(e - 1) !== 47 && dollar > p - s ? s + dollar : e;
    const body = text.slice(p, cut);
    if (body.length < 3 || !body.endsWith('/')) return out.bad(lineNo, line, 'a regular expression is /…/');
    return addRegex(out, body.slice(1, -1), allow, lineNo, line);
  }
  // ||name^ or |name^, optional trailing | and $modifiers.
  let flags = allow ? 4 : 0;
  if (text.charCodeAt(p + 1) === 124) p += 2;
  else {
    flags |= EXACT;
    p += 1;
  }
  let end = e;
  const dollar = line.indexOf('$');
  if (dollar >= 0) {
    for (const m of line.slice(dollar + 1).split(',')) {
      if (!OK_MODIFIERS.test(m)) return out.bad(lineNo, line, `unsupported modifier "$${m}"`);
    }
    end = s + dollar;
  }
  if (text.charCodeAt(end - 1) === 124) end--;
  if (text.charCodeAt(end - 1) === 94) end--;
  else if (end < e && dollar < 0) return out.bad(lineNo, line, 'expected ^ after the name');
  if (end <= p) return out.bad(lineNo, line, 'no name');
  if (!out.addName(text, p, end, flags, lineNo)) {
    out.bad(
      lineNo,
      line,
      `"${text.slice(p, end)}" is not a domain name (wildcards and paths do not apply to DNS)`,
    );
  }
}
