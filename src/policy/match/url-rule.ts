// URL rules for the proxy: host + path pattern (+ an exact query parameter value), fact sheet §0 and §10.
//
// Line syntax (in any list file):   url HOST PATH [?KEY=VALUE] [nocase]
//   HOST   `name` (the name and its subdomains, on a label boundary), `=name` (that name only), `*` (any)
//   PATH   starts with `/`; matched against the URL-decoded path (no query, no fragment), from its start:
//          `*` = any characters within one segment, `**` = anything, `**/` = zero or more segments;
//          without a trailing `|` the pattern is a prefix; a trailing `|` anchors it on the right: the
//          path must end there or continue with `/` (the query and fragment are already cut off), so
//          `/**/id414478124|` matches `/us/app/wechat/id414478124` and `/app/id414478124/` but not
//          `/app/id4144781240`.
//   ?K=V   the query parameter K, URL-decoded, must equal V exactly (one of its values if repeated).
//   nocase the path compares case-insensitively (Microsoft Store product IDs).
// The pattern compiles to RE2 (linear time: `/**/**/**/x|` cannot backtrack polynomially on a long
// path), with `.` matching every character: a decoded `%0A` in a path must not end a `**`.
import { compileGenerated, RE2_FLAGS, type LinearRegex } from './name-regex.ts';
import { normaliseUrlPath } from './url-path.ts';

export interface UrlRuleSpec {
  readonly hostKind: 'any' | 'exact' | 'suffix';
  readonly host: string;
  readonly path: LinearRegex;
  readonly param: { readonly key: string; readonly value: string } | null;
}

const HOST = /^(?:\*|=?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*)$/;

/** Parses the words after `url`; returns a reason string when the rule is malformed. */
export function parseUrlRule(words: readonly string[]): UrlRuleSpec | string {
  if (words.length < 2) return 'a url rule is `url HOST PATH [?KEY=VALUE] [nocase]`';
  const host = words[0].toLowerCase().replace(/\.$/, '');
  if (!HOST.test(host)) return `"${words[0]}" is not a host name, "=name" or "*"`;
  const pattern = words[1];
  if (!pattern.startsWith('/')) return `path pattern "${pattern}" must start with "/"`;
  let param: UrlRuleSpec['param'] = null;
  let nocase = false;
  for (const w of words.slice(2)) {
    if (w === 'nocase') nocase = true;
    else if (w.startsWith('?') && w.includes('=') && param === null) {
      const eq = w.indexOf('=');
      const key = safeDecode(w.slice(1, eq));
      if (key === '') return `query parameter "${w}" has no name`;
      param = { key, value: safeDecode(w.slice(eq + 1)) };
    } else return `unexpected "${w}" in a url rule`;
  }
  return {
    hostKind: host === '*' ? 'any' : host.startsWith('=') ? 'exact' : 'suffix',
    host: host.replace(/^=/, ''),
    path: compilePath(pattern, nocase),
    param,
  };
}

function compilePath(pattern: string, nocase: boolean): LinearRegex {
  let anchored = false;
  if (pattern.endsWith('|')) {
    anchored = true;
    pattern = pattern.slice(0, -1);
  }
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i++;
      }
    } else if (c === '*') re += '[^/]*';
    else if (/[0-9A-Za-z/_-]/.test(c)) re += c;
    else {
      const cp = pattern.codePointAt(i)!;
      if (cp > 0xffff) i++; // the low surrogate is part of this character
      re += `\\x{${cp.toString(16)}}`;
    }
  }
  if (anchored) re += '(?:/|$)';
  return compileGenerated(re, RE2_FLAGS.DOTALL | (nocase ? RE2_FLAGS.CASE_INSENSITIVE : 0));
}

export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Whether `rule` matches a request whose host passed the host test. `path` is already decoded. */
export function urlRuleMatches(rule: UrlRuleSpec, path: string, query: string): boolean {
  if (!rule.path.test(path)) return false;
  if (rule.param === null) return true;
  if (query === '') return false;
  // Exact value after URL-decoding, never a substring test (fact sheet §0, pitfall 4).
  for (const v of new URLSearchParams(query).getAll(rule.param.key)) {
    if (v === rule.param.value) return true;
  }
  return false;
}

/**
 * The request path as rules see it: decoded, merged and dot-resolved as the origin reads it
 * (url-path.ts). A malformed path (which the proxy refuses before asking) is matched as sent.
 */
export function decodePath(path: string): string {
  return normaliseUrlPath(path) ?? path;
}
