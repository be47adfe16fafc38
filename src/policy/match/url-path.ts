// The path a URL rule is matched against: the request path as an origin server will read it, so that
// `/%2Fweixin/`, `/foo%2F..%2Fweixin/`, `/foo/%2e%2e%2fweixin/` and `/%2F%2Fweixin/` are all judged as
// `/weixin/` (issue 12.1). Decisions (compared with nginx and Squid in src/proxy/README.md):
//
// - Every `%XX` is decoded, `%2F` included, and the result is read again as a path: runs of `/` merge
//   and `.`/`..` segments resolve (nginx's merge_slashes and its complex-URI parser do the same). A
//   `..` above the root stays at the root (RFC 3986 §5.2.4; nginx answers 400 there, others clamp).
// - Decoding repeats until the path no longer changes (at most MAX_DECODES times): `%252F` is `/` for
//   the matcher, since an application behind the origin may decode once more. This can only make a
//   rule match more paths, never fewer.
// - Refused (null, the proxy answers 400): a `%` not followed by two hex digits in the path as sent
//   (nginx and Tomcat answer 400 too), an encoded NUL (`%00`, a truncation trick; nginx answers 400),
//   and a path still changing after MAX_DECODES decodings (no real URL is encoded that deep).
// - Bytes ≥ 0x80 are decoded as UTF-8 when they form valid UTF-8; otherwise they stay escaped (`%FF`).
// - `\` (and `%5C`) and `;` path parameters are kept in the main view, which is what nginx and Apache
//   serve; `windowsUrlPath` gives the second view that IIS and Tomcat serve (`\` is `/`, `;…` is
//   dropped from each segment), and the proxy matches both.

/** Decodings before a still-changing path is refused: a triple-encoded path is the deepest allowed. */
const MAX_DECODES = 4;

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Scratch for one run of high bytes (a multi-byte UTF-8 character is at most 4; runs are longer). */
let bytes = new Uint8Array(64);

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x57;
  return -1;
}

/** Whether `s` needs work at all: a `%`, a `//`, or a segment that starts with `.`. */
function plain(s: string): boolean {
  return s.indexOf('%') < 0 && s.indexOf('//') < 0 && s.indexOf('/.') < 0;
}

/**
 * The path rules are matched against, or null when the path is malformed (the caller refuses it).
 * Returns `path` itself (no allocation) when there is nothing to decode, merge or resolve.
 */
export function normaliseUrlPath(path: string): string | null {
  if (plain(path)) return path;
  // The path as sent: every `%` must start an escape, and none may be a NUL.
  for (let i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 1)) {
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0 || (hi === 0 && lo === 0)) return null;
  }
  let cur = path;
  for (let round = 0; round < MAX_DECODES; round++) {
    const next = resolveSegments(decodeOnce(cur));
    if (next === cur) return cur;
    if (next.indexOf('\0') >= 0) return null; // `%2500` decoded twice
    cur = next;
    if (plain(cur)) return cur;
  }
  return null;
}

/**
 * The view of IIS and Tomcat (and Windows file systems) of a normalised path: `\` separates segments
 * and `;params` are dropped from each segment (`/weixin;jsessionid=1/x` is `/weixin/x`,
 * `/a/..;/weixin` is `/weixin`). Null when it is the same as `path` (no `\` and no `;`).
 */
export function windowsUrlPath(path: string): string | null {
  if (path.indexOf('\\') < 0 && path.indexOf(';') < 0) return null;
  let out = '';
  let skipping = false;
  for (let i = 0; i < path.length; i++) {
    let c = path[i];
    if (c === '\\') c = '/';
    if (c === '/') skipping = false;
    else if (c === ';') skipping = true;
    if (!skipping) out += c;
  }
  const resolved = resolveSegments(out);
  return resolved === path ? null : resolved;
}

/** Decodes every valid `%XX` once; high bytes as UTF-8 when valid, else left as `%XX` (upper case). */
function decodeOnce(s: string): string {
  let i = s.indexOf('%');
  if (i < 0) return s;
  let out = s.slice(0, i);
  while (i < s.length) {
    const c = s.charCodeAt(i);
    const v = c === 0x25 ? escapeAt(s, i) : -1;
    if (v < 0) {
      out += s[i];
      i++;
    } else if (v < 0x80) {
      out += String.fromCharCode(v);
      i += 3;
    } else {
      // A run of escaped high bytes: decode the run as UTF-8, or keep it escaped when it is not.
      let n = 0;
      let j = i;
      for (let b = escapeAt(s, j); b >= 0x80; b = escapeAt(s, j)) {
        if (n === bytes.length) {
          const bigger = new Uint8Array(bytes.length * 2);
          bigger.set(bytes);
          bytes = bigger;
        }
        bytes[n++] = b;
        j += 3;
      }
      try {
        out += utf8.decode(bytes.subarray(0, n));
      } catch {
        out += s.slice(i, j).toUpperCase();
      }
      i = j;
    }
  }
  return out;
}

/** The byte a valid `%XX` at `i` stands for, or -1. */
function escapeAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== 0x25) return -1;
  const hi = hexValue(s.charCodeAt(i + 1));
  const lo = hexValue(s.charCodeAt(i + 2));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

/**
 * Merges runs of `/` and resolves `.` and `..` segments (RFC 3986 §5.2.4; `..` at the root stays at
 * the root). A path ending in `/`, `/.` or `/..` keeps a trailing `/`.
 */
function resolveSegments(s: string): string {
  if (s.indexOf('//') < 0 && s.indexOf('/.') < 0 && s.charCodeAt(0) === 0x2f) return s;
  const parts = s.split('/');
  const out: string[] = [];
  let trailing = false;
  for (let i = 0; i < parts.length; i++) {
    const seg = parts[i];
    const last = i === parts.length - 1;
    if (seg === '' || seg === '.') {
      trailing = last;
    } else if (seg === '..') {
      out.pop();
      trailing = last;
    } else {
      out.push(seg);
      trailing = false;
    }
  }
  if (out.length === 0) return '/';
  const joined = '/' + out.join('/');
  return trailing ? joined + '/' : joined;
}
