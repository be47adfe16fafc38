// The HTTP forward proxy on `proxy.listen`: one Node HTTP server per listen address, sharing the
// connection gate (allowedClients, per-client and total caps), the plain-HTTP forwarder and the
// CONNECT tunnels. Node's parser enforces the request grammar: oversized headers get 431,
// conflicting Content-Length/Transfer-Encoding and other malformed requests 400, slow headers 408.
import http, { type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { PolicyStore } from '../policy/store.ts';
import type { Resolver } from '../dns/resolver.ts';
import type { Logger } from '../log.ts';
import type { ProxyStats } from './proxy-stats.ts';
import { ClientAcl, ConnectionCounter, ProxyAuth, unmapAddress } from './client-gate.ts';
import { setConnectionState, type ConnectionState, type ProxyContext } from './context.ts';
import { HttpForwarder } from './http-forwarder.ts';
import { TargetGuard } from './target-guard.ts';
import { ConnectTunnels } from './connect-tunnel.ts';
import { rawClientError } from './responses.ts';

const TOO_MANY_BODY = 'banwall: too many connections from your address\n';
const TOO_MANY = Buffer.from(
  'HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\n' +
    `Content-Length: ${TOO_MANY_BODY.length}\r\nConnection: close\r\n\r\n${TOO_MANY_BODY}`,
  'latin1',
);

export class ProxyServer {
  private readonly cfg: NonNullable<Config['proxy']>;
  private readonly stats: ProxyStats;
  private readonly log: Logger;
  private readonly acl: ClientAcl;
  private readonly counter: ConnectionCounter;
  private readonly forwarder: HttpForwarder;
  private readonly tunnels: ConnectTunnels;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly targets: TargetGuard;
  private readonly ctx: ProxyContext;
  private readonly dir: string;

  constructor(
    cfg: NonNullable<Config['proxy']>,
    policy: PolicyStore,
    resolver: Resolver,
    stats: ProxyStats,
    log: Logger,
    /** The config file's directory: relative paths (proxy.intercept.ca) resolve against it. */
    dir = process.cwd(),
  ) {
    this.dir = dir;
    this.cfg = cfg;
    this.stats = stats;
    this.log = log.child({ part: 'proxy' });
    this.acl = new ClientAcl(cfg.allowedClients);
    this.counter = new ConnectionCounter(cfg.maxConnectionsPerClient);
    const viaId = `banwall-${randomBytes(4).toString('hex')}`;
    this.targets = new TargetGuard(cfg);
    const ctx: ProxyContext = {
      cfg,
      policy,
      resolver,
      stats,
      log: this.log,
      auth: cfg.auth ? new ProxyAuth(cfg.auth.users, cfg.auth.realm) : null,
      targets: this.targets,
      via: `1.1 ${viaId}`,
      viaId,
    };
    this.ctx = ctx;
    this.forwarder = new HttpForwarder(ctx);
    this.tunnels = new ConnectTunnels(ctx);
  }

  async start(): Promise<void> {
    if (this.cfg.intercept) {
      // Loaded only when configured (it brings @peculiar/x509); a bad CA stops the start, clearly.
      const { Interceptor } = await import('./intercept/interceptor.ts');
      this.tunnels.interceptor = await Interceptor.create(
        this.ctx,
        this.cfg.intercept,
        this.dir,
        this.forwarder,
      );
    }
    const t = this.cfg.timeouts;
    for (const addr of this.cfg.listen) {
      const server = http.createServer({
        maxHeaderSize: this.cfg.maxHeaderSize,
        headersTimeout: t.headers,
        // The whole-request limit would cut slow uploads; the idle timeout covers stalled ones.
        requestTimeout: 0,
        keepAliveTimeout: t.idle,
        // How often Node looks for connections past headersTimeout (default 30 s is too coarse).
        connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(t.headers / 2))),
        insecureHTTPParser: false,
        requireHostHeader: false, // checked by HttpForwarder, which counts it
        noDelay: true,
        // Node ≥ 24.12: a request without a body gets an already-ended stream, so piping a GET
        // upstream costs no stream events (ignored by older Node).
        optimizeEmptyRequests: true,
      });
      server.timeout = t.idle;
      server.maxConnections = this.cfg.maxConnections;
      server.on('connection', this.onConnection);
      server.on('request', this.forwarder.handle);
      server.on('connect', this.tunnels.handle);
      server.on('clientError', this.onClientError);
      server.on('drop', () => this.stats.recordRequest('http', 'limited'));
      server.on('error', (err) => this.log.error({ err }, 'proxy listener error'));
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.once('error', onError);
        server.listen(addr.port, addr.host, () => {
          server.off('error', onError);
          resolve();
        });
      });
      this.servers.push(server);
    }
    this.protectListeners(this.addresses().map((a) => a.port));
    this.targets.watchHost();
  }

  /**
   * Ports of banwall's other listeners (DNS, DoT/DoH, HTTP API), known once they are bound: the proxy
   * never connects to them on any address of this host (its own ports are added at start).
   */
  protectListeners(ports: Iterable<number>): void {
    this.targets.protectPorts(ports);
  }

  addresses(): { host: string; port: number }[] {
    const out: { host: string; port: number }[] = [];
    for (const s of this.servers) {
      const a = s.address();
      if (a !== null && typeof a === 'object') out.push({ host: a.address, port: a.port });
    }
    return out;
  }

  /** Stops accepting, lets requests in flight finish within `graceMs`, then closes what is left. */
  async stop(graceMs: number): Promise<void> {
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    const deadline = Date.now() + graceMs;
    while (this.sockets.size > 0 && Date.now() < deadline) {
      for (const s of this.servers) s.closeIdleConnections();
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const s of this.sockets) s.destroy();
    for (const u of this.tunnels.upstreams) u.destroy();
    this.tunnels.interceptor?.stop();
    this.forwarder.close();
    this.targets.stop();
    await Promise.all(closed);
    this.servers.length = 0;
  }

  private onConnection = (socket: Socket): void => {
    const remote = socket.remoteAddress;
    if (remote === undefined) {
      socket.destroy();
      return;
    }
    const client = unmapAddress(remote);
    const state: ConnectionState = {
      client,
      allowed: this.acl.allows(client),
      limited: false,
      active: false,
    };
    setConnectionState(socket, state);
    // Until the first request: a connection that sends nothing is closed after the headers timeout.
    socket.setTimeout(this.cfg.timeouts.headers);
    if (!this.counter.acquire(client)) {
      state.limited = true;
      this.stats.recordRequest('http', 'limited');
      socket.end(TOO_MANY);
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    this.sockets.add(socket);
    this.stats.openConnections++;
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.stats.openConnections--;
      this.counter.release(client);
    });
  };

  private onClientError = (err: NodeJS.ErrnoException, socket: Duplex): void => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      socket.destroy();
      return;
    }
    this.stats.recordRequest('http', 'badrequest');
    // As Node's own handler: never write into a response that has started (it would corrupt it).
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (!socket.writable || socket.writableEnded || inFlight?.headersSent === true) {
      socket.destroy();
      return;
    }
    rawClientError(socket, err.code);
  };
}
