// banwall's HTTP listener (`http.listen`, loopback by default): /metrics, /healthz, /readyz,
// /proxy.pac and the admin API under /api/. Every request is answered (404 for unknown paths, 405 for
// a wrong method, 500 for a bug), and nothing a client sends may take the process down. Who may ask
// what (client address, Host header, token) is access.ts's decision, taken before any handler runs.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../log.ts';
import type { AdminOps } from './admin-ops.ts';
import { registry } from '../metrics/registry.ts';
import { buildPac } from '../proxy/pac.ts';
import { apiToken, readToken } from './auth.ts';
import { HttpAccess, type Area, type Principal } from './access.ts';
import type { Scope } from './scoped-tokens.ts';
import * as events from './events-api.ts';
import { SessionStore } from '../console/sessions.ts';
import { CONSOLE_PATHS, serveStatic } from '../console/static-files.ts';
import * as session from '../console/session-api.ts';
import { healthz, readyz } from './health.ts';
import * as admin from './admin.ts';
import { sendError, sendText } from './respond.ts';
import { listen, boundAddresses } from '../net/listen.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, who: Principal) => void | Promise<void>;

/**
 * Each path: who may ask it (access.ts) and its handlers. A POST is a write needing `scope`
 * (`admin` when not given), unless `post` names another area (the console's login).
 */
interface Route {
  readonly area: Exclude<Area, 'write' | 'login'>;
  readonly GET?: Handler;
  readonly POST?: Handler;
  readonly scope?: Scope;
  readonly post?: Area;
}

/** Loopback addresses: the listener warns when bound elsewhere without a token. */
function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.') || host === 'localhost';
}

export class HttpServer {
  private readonly app: AdminOps;
  private readonly log: Logger;
  private readonly access: HttpAccess;
  private readonly servers: http.Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly routes: Record<string, Route>;

  /** Metrics are registered by the app (src/app.ts), not here: this only serves the registry. */
  constructor(app: AdminOps, log: Logger) {
    this.app = app;
    this.log = log.child({ part: 'http' });
    const cfg = app.config();
    const sessions = new SessionStore();
    this.access = new HttpAccess(cfg.http, cfg.proxy?.allowedClients, sessions);
    const files = Object.fromEntries(
      CONSOLE_PATHS.map((p): [string, Route] => [
        p,
        { area: 'console', GET: (_req, res) => serveStatic(p, res) },
      ]),
    );
    this.routes = {
      ...files,
      // Browsers ask for it on every page; a 404 there is an error in the console.
      '/favicon.ico': { area: 'console', GET: (_req, res) => void res.writeHead(204).end() },
      '/api/session': {
        area: 'console',
        GET: (req, res) => session.state(sessions, req, res),
        POST: (req, res, _url, who) => session.login(sessions, req, res, who),
        post: 'login',
      },
      '/api/session/logout': {
        area: 'console',
        POST: (req, res) => session.logout(sessions, req, res),
        scope: 'read',
      },
      '/metrics': { area: 'probe', GET: (_req, res) => this.metrics(res) },
      '/healthz': { area: 'probe', GET: (_req, res) => healthz(res) },
      '/readyz': { area: 'probe', GET: (_req, res) => readyz(this.app, res) },
      '/proxy.pac': { area: 'pac', GET: (req, res) => this.pac(req, res) },
      '/api/status': { area: 'read', GET: (_req, res) => admin.status(this.app, res) },
      '/api/explain': { area: 'read', GET: (_req, res, url) => admin.explain(this.app, res, url) },
      '/api/top': { area: 'read', GET: (_req, res, url) => admin.top(this.app, res, url) },
      '/api/reload': {
        area: 'read',
        POST: (_req, res, _url, who) => admin.reload(this.app, res, who.id),
        scope: 'reload',
      },
      '/api/cache/flush': {
        area: 'read',
        POST: (_req, res) => admin.flushCache(this.app, res),
        scope: 'cache',
      },
      '/api/events': { area: 'read', GET: (_req, res, url) => events.search(this.app, res, url) },
      '/api/events/summary': { area: 'read', GET: (_req, res, url) => events.summary(this.app, res, url) },
      '/api/events/export': {
        area: 'read',
        GET: (_req, res, url) => events.exportEvents(this.app, res, url),
      },
      '/api/events/stream': { area: 'read', GET: (_req, res) => events.stream(this.app, res) },
      '/api/audit': { area: 'read', GET: (_req, res, url) => events.audit(this.app, res, url) },
    };
  }

  async start(): Promise<void> {
    const cfg = this.app.config().http;
    for (const { host, port } of cfg.listen) {
      const server = http.createServer(
        {
          // Scrapes and admin calls are small: keep slow or oversized clients from holding sockets.
          headersTimeout: 10_000,
          requestTimeout: 30_000,
          keepAliveTimeout: 5_000,
          maxHeaderSize: 16 * 1024,
        },
        (req, res) => void this.handle(req, res),
      );
      server.on('connection', (s: Socket) => {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
      });
      server.on('clientError', (_err, socket) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        else socket.destroy();
      });
      server.on('error', (err) => this.log.error({ err }, 'HTTP listener error'));
      await listen(server, host, port);
      this.servers.push(server);
      if (!isLoopback(host) && apiToken(cfg.token) === undefined && readToken(cfg.readToken) === undefined) {
        this.log.warn(
          { host, port },
          'HTTP listener is not on loopback and no API token is set: the /api/ endpoints answer only ' +
            'over loopback (set http.readToken or http.token to read them from http.allowedClients)',
        );
      }
    }
  }

  addresses(): { host: string; port: number }[] {
    return boundAddresses(this.servers);
  }

  async stop(): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of this.sockets) s.destroy();
    await Promise.all(closing);
    this.servers.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // Bodies are never read (no endpoint takes one): drain so a keep-alive socket stays usable.
      req.resume();
      req.on('error', () => {});
      res.on('error', () => {});
      const url = new URL(req.url ?? '/', 'http://banwall.invalid');
      const route = Object.hasOwn(this.routes, url.pathname) ? this.routes[url.pathname] : undefined;
      if (route === undefined) {
        sendError(res, 404, `no such endpoint: ${url.pathname}`);
        return;
      }
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      const handler = method === 'GET' || method === 'POST' ? route[method] : undefined;
      const writing = handler !== undefined && method === 'POST';
      const who = this.access.admit(
        req,
        res,
        writing ? (route.post ?? 'write') : route.area,
        route.scope ?? 'admin',
      );
      if (who === null) return;
      if (handler === undefined) {
        const allow = [...(route.GET ? ['GET', 'HEAD'] : []), ...(route.POST ? ['POST'] : [])];
        sendError(res, 405, `${req.method} is not allowed on ${url.pathname}`, { allow: allow.join(', ') });
        return;
      }
      await handler(req, res, url, who);
    } catch (err) {
      this.log.error({ err, url: req.url }, 'HTTP handler failed');
      if (!res.headersSent) sendError(res, 500, 'internal error (logged)');
      else res.destroy();
    }
  }

  private async metrics(res: ServerResponse): Promise<void> {
    sendText(res, 200, await registry.metrics(), registry.contentType);
  }

  private pac(req: IncomingMessage, res: ServerResponse): void {
    const cfg = this.app.config();
    if (!cfg.proxy) {
      sendError(res, 404, 'the proxy is not enabled (no `proxy` section in the config)');
      return;
    }
    // The host the device fetched the PAC from names the proxy when it listens on a wildcard address;
    // only a plain host[:port] is passed on, since it ends up inside the PAC's JavaScript.
    const host = req.headers.host;
    const requestHost = host !== undefined && /^[A-Za-z0-9.:[\]-]{1,255}$/.test(host) ? host : undefined;
    sendText(
      res,
      200,
      buildPac(cfg, this.app.proxyAddresses(), requestHost),
      'application/x-ns-proxy-autoconfig',
    );
  }
}
