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
// 3. Who asks: a bearer token (scoped-tokens.ts: `http.tokens`, BANWALL_API_TOKENS, and the single
//    `http.token` as an admin token and `http.readToken` as a read token), or a console session
//    (cookie, with its CSRF token on writes). Writes need a token or session whose scopes cover
//    them (`reload`, `cache`, or `admin`), else 403 without detail; reads under /api/ need the `read`
//    scope unless the request arrived over loopback (its local address is 127.0.0.0/8 or ::1: a
//    process on this host, or `kubectl port-forward` into the pod).
//
// A connection whose client address equals its local address comes from this host (a socket to
// one's own address takes that address as its source): it passes the client check, and needs no read
// token, so `banwall reload` against a non-loopback `http.listen` works as it does through loopback.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { CidrList } from '../net/cidr.ts';
import type { HttpConfig } from './config.ts';
import { apiToken, readToken, NO_TOKEN_MESSAGE, NO_READ_TOKEN_MESSAGE } from './auth.ts';
import { allows, TokenSet, tokensFromEnv, type Scope, type TokenSpec } from './scoped-tokens.ts';
import type { SessionStore } from '../console/sessions.ts';
import { sendError } from './respond.ts';

/**
 * What an endpoint is for, which decides who may ask it: `probe` (metrics, health), `pac`, `console`
 * (the console's files and its session state: anyone allowed to use the listener), `read` (the
 * /api/ reads), `write` (POSTs, with a scope), `login` (a valid token of any scope, to open a session).
 */
export type Area = 'probe' | 'pac' | 'console' | 'read' | 'write' | 'login';

/** Who a request acts as: a token id, a session's token id, or `local` (tokenless loopback read). */
export interface Principal {
  readonly id: string;
  readonly scopes: readonly Scope[];
}

const ANONYMOUS: Principal = { id: 'anonymous', scopes: [] };
const LOCAL: Principal = { id: 'local', scopes: ['read'] };

const LOOPBACK = new CidrList(['127.0.0.0/8', '::1/128']);

export class HttpAccess {
  private readonly admins: CidrList;
  private readonly scrapers: CidrList;
  private readonly pacClients: CidrList | null;
  private readonly hosts: ReadonlySet<string>;
  private readonly suffixes: readonly string[];
  private readonly scoped: readonly TokenSpec[];
  /** As configured; BANWALL_API_TOKEN and BANWALL_API_READ_TOKEN win, read on each request. */
  private readonly configuredToken: string | undefined;
  private readonly configuredReadToken: string | undefined;
  private tokenSet: TokenSet | null = null;
  private tokenKey = '';
  private readonly sessions: SessionStore | null;

  /** `proxyClients`: `proxy.allowedClients` when the proxy is on (they fetch /proxy.pac). */
  constructor(
    cfg: HttpConfig,
    proxyClients: readonly string[] | undefined,
    sessions: SessionStore | null = null,
  ) {
    this.admins = new CidrList(cfg.allowedClients);
    this.scrapers = new CidrList(cfg.metricsClients);
    this.pacClients = proxyClients === undefined ? null : new CidrList(proxyClients);
    this.hosts = new Set(['localhost', ...cfg.hosts.filter((h) => !h.startsWith('*.'))]);
    this.suffixes = cfg.hosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));
    this.scoped = [...cfg.tokens, ...tokensFromEnv(process.env.BANWALL_API_TOKENS)];
    this.configuredToken = cfg.token;
    this.configuredReadToken = cfg.readToken;
    this.sessions = sessions;
  }

  /** The tokens in force: the scoped ones, and the single tokens as their variables say now. */
  private get tokens(): TokenSet {
    const admin = apiToken(this.configuredToken);
    const read = readToken(this.configuredReadToken);
    const key = `${admin ?? ''}\u0000${read ?? ''}`;
    if (this.tokenSet === null || key !== this.tokenKey) {
      const legacyRead =
        read === undefined ? [] : TokenSet.specs([{ id: 'read', secret: read, scopes: ['read'] }]);
      this.tokenSet = new TokenSet([...this.scoped, ...legacyRead], admin);
      this.tokenKey = key;
    }
    return this.tokenSet;
  }

  /**
   * Who `req` acts as when it may go on; otherwise the refusal has been sent and the result is null.
   * `scope` is what a write needs.
   */
  admit(req: IncomingMessage, res: ServerResponse, area: Area, scope: Scope = 'admin'): Principal | null {
    const client = req.socket.remoteAddress ?? '';
    const sameHost = client !== '' && client === req.socket.localAddress;
    if (!sameHost && !this.clientAllowed(client, area)) {
      sendError(res, 403, `client ${client} may not use this endpoint (http.allowedClients)`);
      return null;
    }
    if (area !== 'pac' && !this.hostAllowed(req.headers.host)) {
      sendError(
        res,
        421,
        `this listener does not answer for host ${JSON.stringify(req.headers.host)} (http.hosts)`,
      );
      return null;
    }
    if (area === 'probe' || area === 'pac' || area === 'console') return ANONYMOUS;

    const bearer = req.headers.authorization !== undefined ? this.tokens.fromRequest(req) : 'missing';
    if (bearer === 'wrong') {
      if (this.tokens.size === 0) {
        return this.unauthenticated(res, area === 'read' ? NO_READ_TOKEN_MESSAGE : NO_TOKEN_MESSAGE);
      }
      sendError(res, 403, 'wrong API token', {
        'www-authenticate': 'Bearer realm="banwall", error="invalid_token"',
      });
      return null;
    }
    let who: Principal | null = bearer === 'missing' ? null : bearer;
    if (who === null && this.sessions !== null && area !== 'login') {
      const session = this.sessions.get(req);
      if (session !== null) {
        // A write through the console must carry its CSRF token (SameSite=Strict is the first guard).
        if (area === 'write' && !this.sessions.csrfOk(req, session)) return forbidden(res);
        who = { id: session.tokenId, scopes: session.scopes };
      }
    }
    if (area === 'login') {
      if (who === null) return this.unauthenticated(res, NO_TOKEN_MESSAGE);
      return allows(who.scopes, 'read') ? who : forbidden(res);
    }
    if (area === 'read') {
      if (who !== null) return allows(who.scopes, 'read') ? who : forbidden(res);
      if (sameHost || overLoopback(req)) return LOCAL;
      return this.unauthenticated(res, NO_READ_TOKEN_MESSAGE);
    }
    if (who === null) return this.unauthenticated(res, NO_TOKEN_MESSAGE);
    return allows(who.scopes, scope) ? who : forbidden(res);
  }

  /** No credentials: 403 saying how to set a token when none exists, else 401 asking for one. */
  private unauthenticated(res: ServerResponse, noneMessage: string): null {
    if (this.tokens.size === 0) {
      sendError(res, 403, noneMessage);
      return null;
    }
    sendError(res, 401, 'this endpoint needs "Authorization: Bearer <token>"', {
      'www-authenticate': 'Bearer realm="banwall"',
    });
    return null;
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
}

/** A token or session without the scope an endpoint needs: no detail (issue 15 item 3). */
function forbidden(res: ServerResponse): null {
  sendError(res, 403, 'forbidden');
  return null;
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
