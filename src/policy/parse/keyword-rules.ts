// Lines that start with a keyword, accepted in every list format: `url …` (proxy URL rules) and
// `ip …` (IP/CIDR rules), optionally prefixed by `@@` to make them exceptions.
import { parseUrlRule } from '../match/url-rule.ts';
import { parseCidr } from '../match/ip-parse.ts';
import type { ParsedList } from './parsed-list.ts';

/** Returns true when the line was a keyword line (good or bad), false when it is something else. */
export function parseKeywordLine(out: ParsedList, line: string, lineNo: number, allow: boolean): boolean {
  const words = line.split(/\s+/);
  const kw = words[0];
  if (kw === 'url') {
    const spec = parseUrlRule(words.slice(1));
    if (typeof spec === 'string') out.bad(lineNo, line, spec);
    else out.urls.push({ value: spec, allow, line: lineNo, text: line });
    return true;
  }
  if (kw === 'ip') {
    if (words.length !== 2) {
      out.bad(lineNo, line, 'an ip rule is `ip ADDRESS` or `ip ADDRESS/LEN`');
      return true;
    }
    addIp(out, words[1], allow, lineNo, line);
    return true;
  }
  return false;
}

export function addIp(out: ParsedList, cidr: string, allow: boolean, lineNo: number, text: string): void {
  if (parseCidr(cidr) === null) out.bad(lineNo, text, `"${cidr}" is not an IP address or CIDR`);
  else out.ips.push({ value: cidr, allow, line: lineNo, text });
}

/** Whether `s` starts like an IP literal (so a bare address line is an IP rule, not a name). */
export function looksLikeIp(s: string): boolean {
  return /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(\/\d{1,2})?|[0-9a-f]*:[0-9a-f:.]*(\/\d{1,3})?)$/i.test(s);
}

export function addRegex(out: ParsedList, body: string, allow: boolean, lineNo: number, text: string): void {
  try {
    out.regexes.push({ value: new RegExp(body, 'i'), allow, line: lineNo, text });
  } catch (err) {
    out.bad(lineNo, text, `bad regular expression: ${(err as Error).message}`);
  }
}
