// What a proxy request asks for, parsed once and normalised the way the origin will read it, so that
// the policy judges the same host and path the origin serves (a rule on `/weixin/` must also catch
// `/a/../weixin/`, `/%77eixin/`, `//weixin/`, `/%2Fweixin/`, `/a%2F..%2Fweixin/` and `DLDIR1.QQ.COM.:80`).
// The request is forwarded with the path as sent (only unreserved escapes decoded): `%2F` can mean
// something to an origin, so the proxy judges the decoded path but does not rewrite it.
import { isIP } from 'node:net';
import { normaliseUrlPath, windowsUrlPath } from '../policy/match/url-path.ts';

export interface HttpTarget {
  /** Lower-case host name or IP literal (IPv6 without brackets), no trailing dot. */
  readonly host: string;
  /** 4 or 6 for IP literals, 0 for names. */
  readonly ipFamily: number;
  readonly port: number;
  /** `host[:port]` as the Host header of the forwarded request. */
  readonly authority: string;
  /** The origin-form request target forwarded upstream: normalised path plus `?query`. */
  readonly originForm: string;
  /**
   * The path the policy judges: decoded (`%2F` too), `//` merged, dot segments resolved, until stable
   * (src/policy/match/url-path.ts); null when the path is malformed (bad `%` escape, `%00`): refused.
   */
  readonly policyPath: string | null;
  /** The IIS/Tomcat view of policyPath (`\` as `/`, `;params` dropped) when it differs, else null. */
  readonly windowsPath: string | null;
  /** The query without `?`, or ''. */
  readonly query: string;
}

export interface ConnectTarget {
  readonly host: string;
  readonly ipFamily: number;
  readonly port: number;
}

/** A DNS host name: LDH labels (underscore tolerated), 1–63 bytes each, at most 253 in all. */
const HOSTNAME = /^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;

/** A name whose last label is all digits is no host name; it is an IP address in disguise or junk. */
const NUMERIC_TLD = /(?:^|\.)\d+$/;

function validHost(host: string): boolean {
  return host.length <= 253 && HOSTNAME.test(host) && !NUMERIC_TLD.test(host);
}

/**
 * Parses an absolute-form request target (`http://host[:port]/path?query`). Returns null for
 * anything else: origin-form, `https://` (use CONNECT), user info tricks are dropped, bad hosts.
 */
export function parseHttpTarget(url: string): HttpTarget | null {
  // Cheap prefix test before the URL parser: most junk stops here.
  if (url.length < 8 || (url.charCodeAt(0) | 0x20) !== 0x68 /* h */) return null;
  if (url.slice(0, 7).toLowerCase() !== 'http://') return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  let host = u.hostname;
  let ipFamily: number;
  if (host.startsWith('[')) {
    host = host.slice(1, -1);
    ipFamily = 6;
  } else {
    if (host.endsWith('.')) host = host.slice(0, -1);
    ipFamily = isIP(host);
    if (ipFamily === 0 && !validHost(host)) return null;
  }
  const port = u.port === '' ? 80 : Number(u.port);
  if (port === 0) return null;
  const path = normalisePercent(u.pathname);
  const query = u.search.length > 1 ? u.search.slice(1) : '';
  const policyPath = normaliseUrlPath(path);
  return {
    host,
    ipFamily,
    port,
    authority: (ipFamily === 6 ? `[${host}]` : host) + (port === 80 ? '' : `:${port}`),
    originForm: query === '' ? path : `${path}?${query}`,
    policyPath,
    windowsPath: policyPath === null ? null : windowsUrlPath(policyPath),
    query,
  };
}

/** Parses a CONNECT request target (authority-form `host:port` or `[v6]:port`). */
export function parseConnectTarget(authority: string): ConnectTarget | null {
  if (authority.length === 0 || authority.length > 262) return null;
  let hostPart: string;
  let portPart: string;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0 || authority[close + 1] !== ':') return null;
    hostPart = authority.slice(1, close);
    portPart = authority.slice(close + 2);
    if (isIP(hostPart) !== 6) return null;
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon <= 0) return null;
    hostPart = authority.slice(0, colon);
    portPart = authority.slice(colon + 1);
    if (hostPart.includes(':')) return null; // bare IPv6 without brackets is ambiguous
  }
  if (!/^\d{1,5}$/.test(portPart)) return null;
  const port = Number(portPart);
  if (port < 1 || port > 65535) return null;
  let host = hostPart.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  let ipFamily = isIP(host);
  if (ipFamily === 0) {
    // Let the WHATWG host parser turn `2130706433` or `0x7f.1` into the IPv4 address an OS would
    // connect to, so that IP rules see it; anything it does not accept as a plain host is refused.
    if (!/^[a-z0-9_.-]+$/.test(host)) return null;
    let parsed: string;
    try {
      parsed = new URL(`http://${host}/`).hostname;
    } catch {
      return null;
    }
    ipFamily = isIP(parsed);
    if (ipFamily === 4) host = parsed;
    else if (!validHost(host)) return null;
  }
  return { host, ipFamily, port };
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * Decodes percent-encoded unreserved characters (RFC 3986 §6.2.2.2: `%77` is `w`), which changes
 * nothing for the origin but lets a rule on `/weixin/` see `/%77eixin/`. The WHATWG parser has
 * already resolved dot segments, including `%2e%2e`.
 */
function normalisePercent(path: string): string {
  if (!path.includes('%')) return path;
  return path.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : m.toUpperCase();
  });
}
