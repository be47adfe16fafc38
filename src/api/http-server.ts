// banwall's HTTP listener (`http.listen`, loopback by default): /metrics, /healthz, /readyz,
// /proxy.pac and the admin API under /api/. Every request is answered (404 for unknown paths, 405 for
// a wrong method, 500 for a bug), and nothing a client sends may take the process down.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../log.ts';
import type { AppHandle } from '../app-handle.ts';
import { registry, registerDefaultMetrics } from '../metrics/registry.ts';
import { registerAppMetrics } from '../metrics/app-metrics.ts';
import { registerDnsStatsMetrics } from '../dns/stats/metrics.ts';
import { buildPac } from '../proxy/pac.ts';
import { apiToken, checkBearer, NO_TOKEN_MESSAGE } from './auth.ts';
import { healthz, readyz } from './health.ts';
import * as admin from './admin.ts';
import { sendError, sendText } from './respond.ts';
import { listen, boundAddresses } from '../net/listen.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

interface Route {
  readonly GET?: Handler;
  readonly POST?: Handler;
}

/** Loopback addresses: the listener warns when bound elsewhere without a token. */
function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.') || host === 'localhost';
}

export class HttpServer {
  private readonly app: AppHandle;
  private readonly log: Logger;
  private readonly servers: http.Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly routes: Record<string, Route>;

  constructor(app: AppHandle, log: Logger) {
    this.app = app;
    this.log = log.child({ part: 'http' });
    registerDefaultMetrics();
    registerAppMetrics(app);
    registerDnsStatsMetrics(app.dnsStats);
    const write =
      (h: Handler): Handler =>
      (req, res, url) =>
        this.authorized(req, res) ? h(req, res, url) : undefined;
    this.routes = {
      '/metrics': { GET: (_req, res) => this.metrics(res) },
      '/healthz': { GET: (_req, res) => healthz(res) },
      '/readyz': { GET: (_req, res) => readyz(this.app, res) },
      '/proxy.pac': { GET: (req, res) => this.pac(req, res) },
      '/api/status': { GET: (_req, res) => admin.status(this.app, res) },
      '/api/explain': { GET: (_req, res, url) => admin.explain(this.app, res, url) },
      '/api/top': { GET: (_req, res, url) => admin.top(this.app, res, url) },
      '/api/reload': { POST: write((_req, res) => admin.reload(this.app, res)) },
      '/api/cache/flush': { POST: write((_req, res) => admin.flushCache(this.app, res)) },
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
      if (!isLoopback(host) && apiToken(cfg.token) === undefined) {
        this.log.warn(
          { host, port },
          'HTTP listener is not on loopback: /metrics and the read-only API are reachable from the network',
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
      if (handler === undefined) {
        const allow = Object.keys(route).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
        sendError(res, 405, `${req.method} is not allowed on ${url.pathname}`, { allow: allow.join(', ') });
        return;
      }
      await handler(req, res, url);
    } catch (err) {
      this.log.error({ err, url: req.url }, 'HTTP handler failed');
      if (!res.headersSent) sendError(res, 500, 'internal error (logged)');
      else res.destroy();
    }
  }

  /** Write endpoints need `Authorization: Bearer <token>`; answers and returns false otherwise. */
  private authorized(req: IncomingMessage, res: ServerResponse): boolean {
    switch (checkBearer(req, apiToken(this.app.config().http.token))) {
      case 'ok':
        return true;
      case 'no-token-configured':
        sendError(res, 403, NO_TOKEN_MESSAGE);
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
