// Lines that start with a keyword, accepted in every list format: `url …` (proxy URL rules) and
// `ip …` (IP/CIDR rules), optionally prefixed by `@@` to make them exceptions. A keyword without its
// arguments is a bad line, never a name: a bare `url` once became a block on the name `url`.
import { parseUrlRule } from '../match/url-rule.ts';
import { parseCidr } from '../match/ip-parse.ts';
import { compileNameRegex } from '../match/name-regex.ts';
import type { ParsedList } from './parsed-list.ts';
import { broadIp, broadUrl } from './broad-rules.ts';

/** Every keyword of the rules format, with the usage a bad line reports. */
export const KEYWORDS: Readonly<Record<string, string>> = {
  url: 'a url rule is `url HOST PATH [?KEY=VALUE] [nocase]`',
  ip: 'an ip rule is `ip ADDRESS` or `ip ADDRESS/LEN`',
};

/** Returns true when the line was a keyword line (good or bad), false when it is something else. */
export function parseKeywordLine(out: ParsedList, line: string, lineNo: number, allow: boolean): boolean {
  const words = line.split(/\s+/);
  const kw = words[0];
  if (kw === 'url') {
    const spec = parseUrlRule(words.slice(1));
    if (typeof spec === 'string') {
      out.bad(lineNo, line, spec);
      return true;
    }
    out.urls.push({ value: spec, allow, line: lineNo, text: line });
    const broad = broadUrl(spec, allow);
    if (broad !== null) out.broadRule(lineNo, line, broad);
    return true;
  }
  if (kw === 'ip') {
    if (words.length !== 2) {
      out.bad(lineNo, line, KEYWORDS.ip);
      return true;
    }
    addIp(out, words[1], allow, lineNo, line);
    return true;
  }
  return false;
}

/**
 * The usage message when text[s, e) is a keyword alone (any letter case: `URL` is no name either),
 * else null. Cheap enough for the parse fast path: only 2–3 character lines are compared.
 */
export function bareKeyword(text: string, s: number, e: number): string | null {
  const len = e - s;
  if (len < 2 || len > 3) return null;
  return KEYWORDS[text.slice(s, e).toLowerCase()] ?? null;
}

export function addIp(out: ParsedList, cidr: string, allow: boolean, lineNo: number, text: string): void {
  if (parseCidr(cidr) === null) return out.bad(lineNo, text, `"${cidr}" is not an IP address or CIDR`);
  out.ips.push({ value: cidr, allow, line: lineNo, text });
  const broad = broadIp(cidr, allow);
  if (broad !== null) out.broadRule(lineNo, text, broad);
}

/** Whether `s` starts like an IP literal (so a bare address line is an IP rule, not a name). */
export function looksLikeIp(s: string): boolean {
  return /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(\/\d{1,2})?|[0-9a-f]*:[0-9a-f:.]*(\/\d{1,3})?)$/i.test(s);
}

export function addRegex(out: ParsedList, body: string, allow: boolean, lineNo: number, text: string): void {
  const re = compileNameRegex(body);
  if (typeof re === 'string') return out.bad(lineNo, text, re);
  out.regexes.push({ value: re, allow, line: lineNo, text }); // judged for breadth at the end (ParsedList.finish)
}
