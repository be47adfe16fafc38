// Plain domain lists, banwall's native format:
//   weixin.qq.com          the name and every subdomain (label boundary)
//   =qyapi.weixin.qq.com   that name only
//   *.example.com          subdomains only, not example.com itself
//   /^ad[0-9]+\.example\./ a regular expression on the whole name (case-insensitive)
//   @@name                 an exception (allow) in any of the forms above
//   1.2.3.4  or  ip 10.0.0.0/8   an IP/CIDR rule;  url HOST PATH …   a URL rule (match/url-rule.ts)
//   # comment              whole-line or after the entry
import { EXACT, SUBONLY, ALLOW } from '../match/name-table.ts';
import type { ParsedList } from './parsed-list.ts';
import { parseKeywordLine, looksLikeIp, addIp, addRegex, bareKeyword } from './keyword-rules.ts';

/** `text[s, e)` is one trimmed, non-comment line. The common case (a bare name) allocates nothing. */
export function parseDomainLine(out: ParsedList, text: string, s: number, e: number, lineNo: number): void {
  let flags = 0;
  let c = text.charCodeAt(s);
  if (c === 64 && text.charCodeAt(s + 1) === 64) {
    flags |= ALLOW;
    s += 2;
    c = text.charCodeAt(s);
  }
  if (c === 47) return parseSlow(out, text.slice(s, e), flags, lineNo, text.slice(s - (flags ? 2 : 0), e));
  const usage = bareKeyword(text, s, e);
  if (usage !== null)
    return out.bad(lineNo, text.slice(s - (flags ? 2 : 0), e), `keyword without its arguments: ${usage}`);
  if (c === 61) {
    flags |= EXACT;
    s++;
  } else if (c === 42 && text.charCodeAt(s + 1) === 46) {
    flags |= SUBONLY;
    s += 2;
  }
  // Fast path: the line is one valid name (names.add rejects spaces, ':' and every other character
  // a name cannot hold). A digit first may be an IP address: that takes the slow path.
  c = text.charCodeAt(s);
  if (!(c >= 48 && c <= 57) && out.addName(text, s, e, flags, lineNo)) return;
  let ws = s;
  while (ws < e) {
    const ch = text.charCodeAt(ws);
    if (ch === 32 || ch === 9) break;
    ws++;
  }
  if (ws === e) {
    const word = text.slice(s, e);
    if (looksLikeIp(word)) return parseSlow(out, word, flags, lineNo, word);
    if (out.addName(text, s, e, flags, lineNo)) return;
    out.bad(lineNo, word, 'not a valid domain name');
    return;
  }
  parseSlow(out, text.slice(s, e), flags, lineNo, text.slice(s, e));
}

function parseSlow(out: ParsedList, body: string, flags: number, lineNo: number, text: string): void {
  const allow = (flags & ALLOW) !== 0;
  if (body.startsWith('/')) {
    if (body.length < 3 || !body.endsWith('/')) out.bad(lineNo, text, 'a regular expression is /…/');
    else addRegex(out, body.slice(1, -1), allow, lineNo, text);
    return;
  }
  if (parseKeywordLine(out, body, lineNo, allow)) return;
  if (!/\s/.test(body) && looksLikeIp(body)) return addIp(out, body, allow, lineNo, text);
  out.bad(lineNo, text, /\s/.test(body) ? 'more than one word on a domain line' : 'not a valid domain name');
}
