// Who may ask the HTTP listener what (issue 12 item 9). Every request passes three checks, in order:
//
// 1. The client address. `http.allowedClients` (loopback by default) may use every endpoint;
//    `http.metricsClients` only /metrics, /healthz and /readyz (Prometheus and kubelet scrape from
//    the pod or monitoring network); the PAC file also goes to `proxy.allowedClients`, the devices
//    that must fetch it to use the proxy. Anyone else gets 403.
// 2. The Host header, against DNS rebinding: a page on attacker.example that re-points its name at
//    banwall would otherwise read the API through a victim's browser. An IP literal cannot be
//    rebound (the browser's origin is then banwall itself), nor can `localhost` (browsers resolve it
//    to loopback themselves); any other name must be in `http.hosts`. Else 421 Misdirected Request.
//    The PAC file is exempt: devices fetch it by whatever name the site gave them, and it holds
//    nothing a proxy client does not get anyway.
// 3. A bearer token: writes always need the write token (`http.token`); reads under /api/ need
//    `http.readToken` or the write token unless the request arrived over loopback (its local address
//    is 127.0.0.0/8 or ::1: a process on this host, or `kubectl port-forward` into the pod).
//
// A connection whose client address equals its local address comes from this host (a socket to
// one's own address takes that address as its source): it passes the client check, and needs no read
// token, so `banwall reload` against a non-loopback `http.listen` works as it does through loopback.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { CidrList } from '../net/cidr.ts';
import type { HttpConfig } from './config.ts';
import { apiToken, checkBearer, readToken, NO_TOKEN_MESSAGE, NO_READ_TOKEN_MESSAGE } from './auth.ts';
import { sendError } from './respond.ts';

/** What an endpoint is for, which decides who may ask it. */
export type Area = 'probe' | 'pac' | 'read' | 'write';

const LOOPBACK = new CidrList(['127.0.0.0/8', '::1/128']);

export class HttpAccess {
  private readonly admins: CidrList;
  private readonly scrapers: CidrList;
  private readonly pacClients: CidrList | null;
  private readonly hosts: ReadonlySet<string>;
  private readonly suffixes: readonly string[];
  /** As configured; the environment variables win, read on each request. */
  private readonly token: string | undefined;
  private readonly readToken: string | undefined;

  /** `proxyClients`: `proxy.allowedClients` when the proxy is on (they fetch /proxy.pac). */
  constructor(cfg: HttpConfig, proxyClients: readonly string[] | undefined) {
    this.admins = new CidrList(cfg.allowedClients);
    this.scrapers = new CidrList(cfg.metricsClients);
    this.pacClients = proxyClients === undefined ? null : new CidrList(proxyClients);
    this.hosts = new Set(['localhost', ...cfg.hosts.filter((h) => !h.startsWith('*.'))]);
    this.suffixes = cfg.hosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));
    this.token = cfg.token;
    this.readToken = cfg.readToken;
  }

  /** True when `req` may go on; otherwise the refusal has been sent. */
  admit(req: IncomingMessage, res: ServerResponse, area: Area): boolean {
    const client = req.socket.remoteAddress ?? '';
    const sameHost = client !== '' && client === req.socket.localAddress;
    if (!sameHost && !this.clientAllowed(client, area)) {
      sendError(res, 403, `client ${client} may not use this endpoint (http.allowedClients)`);
      return false;
    }
    if (area !== 'pac' && !this.hostAllowed(req.headers.host)) {
      sendError(
        res,
        421,
        `this listener does not answer for host ${JSON.stringify(req.headers.host)} (http.hosts)`,
      );
      return false;
    }
    const token = apiToken(this.token);
    if (area === 'write') return this.bearer(req, res, token, undefined, NO_TOKEN_MESSAGE);
    if (area === 'read' && !sameHost && !overLoopback(req)) {
      return this.bearer(req, res, readToken(this.readToken), token, NO_READ_TOKEN_MESSAGE);
    }
    return true;
  }

  private clientAllowed(client: string, area: Area): boolean {
    if (this.admins.contains(client)) return true;
    if (area === 'probe') return this.scrapers.contains(client);
    if (area === 'pac') return this.pacClients !== null && this.pacClients.contains(client);
    return false;
  }

  /** No Host (HTTP/1.0 tools) cannot come from a browser, so it cannot be a rebinding attack. */
  hostAllowed(header: string | undefined): boolean {
    if (header === undefined || header === '') return true;
    const host = hostOf(header);
    if (host === null) return false;
    if (isIP(host) !== 0) return true;
    if (this.hosts.has(host)) return true;
    for (const s of this.suffixes) if (host.endsWith(s)) return true;
    return false;
  }

  private bearer(
    req: IncomingMessage,
    res: ServerResponse,
    first: string | undefined,
    second: string | undefined,
    none: string,
  ): boolean {
    let outcome = checkBearer(req, first);
    if (outcome !== 'ok' && second !== undefined) {
      const other = checkBearer(req, second);
      if (other === 'ok' || outcome === 'no-token-configured') outcome = other;
    }
    switch (outcome) {
      case 'ok':
        return true;
      case 'no-token-configured':
        sendError(res, 403, none);
        return false;
      case 'missing':
        sendError(res, 401, 'this endpoint needs "Authorization: Bearer <token>"', {
          'www-authenticate': 'Bearer realm="banwall"',
        });
        return false;
      case 'wrong':
        sendError(res, 403, 'wrong API token', {
          'www-authenticate': 'Bearer realm="banwall", error="invalid_token"',
        });
        return false;
    }
  }
}

/** The connection arrived on a loopback address, so it comes from this host (or pod). */
function overLoopback(req: IncomingMessage): boolean {
  const local = req.socket.localAddress;
  return local !== undefined && LOOPBACK.contains(local);
}

/** The host part of a Host header, lower-case, without port or trailing dot; null when malformed. */
function hostOf(header: string): string | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(header.trim());
  if (m === null) return null;
  if (m[1] !== undefined) return isIP(m[1]) === 6 ? m[1] : null;
  return m[2].toLowerCase().replace(/\.$/, '');
}
