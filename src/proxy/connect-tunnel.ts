// HTTPS through the proxy: `CONNECT host:port`. The host (or IP literal) and the port are judged
// before anything is opened; the name is resolved through banwall's chain; after
// `200 Connection Established` the TLS ClientHello is read, and the tunnel is closed when its server
// name is blocked (this also catches CONNECT-by-IP to a blocked service). No TLS interception: once
// the ClientHello has passed, bytes are relayed untouched.
import net, { type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { BlockMatch } from '../policy/snapshot.ts';
import { lookupAddresses, type LookupResult } from '../dns/internal-lookup.ts';
import type { MaybePromise } from '../dns/resolver.ts';
import { connectionState, type ProxyContext } from './context.ts';
import { proxyUser } from './client-gate.ts';
import { parseConnectTarget, type ConnectTarget } from './target.ts';
import { parseClientHello, MAX_HELLO } from './tls-client-hello.ts';
import { wantsHtml } from './block-page.ts';
import { rawBlock, rawText, RATE_LIMITED, RETRY_AFTER } from './responses.ts';
import { TargetGuard } from './target-guard.ts';
import type { Interceptor } from './intercept/interceptor.ts';

const ESTABLISHED = Buffer.from('HTTP/1.1 200 Connection Established\r\n\r\n', 'latin1');

function noop(): void {}

export class ConnectTunnels {
  private readonly ctx: ProxyContext;
  /** Upstream sockets of open tunnels, destroyed at stop. */
  readonly upstreams = new Set<Socket>();
  /** proxy.intercept, set at start when configured; null: every tunnel is spliced. */
  interceptor: Interceptor | null = null;

  constructor(ctx: ProxyContext) {
    this.ctx = ctx;
  }

  /** The `connect` handler of the proxy's HTTP server. */
  handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // The HTTP server has handed the socket over and removed its own error listener.
    socket.on('error', noop);
    try {
      this.judge(req, socket as Socket, head);
    } catch (err) {
      this.ctx.log.error({ err }, 'proxy CONNECT handler failed');
      this.ctx.stats.recordRequest('connect', 'error');
      rawText(socket, 500, 'banwall: internal error');
    }
  };

  private judge(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const { ctx } = this;
    const state = connectionState(socket);
    if (state === undefined || state.limited) {
      socket.destroy();
      return;
    }
    if (!state.allowed) {
      ctx.stats.recordRequest('connect', 'denied');
      rawText(socket, 403, 'banwall: this proxy serves only its own network (proxy.allowedClients)');
      return;
    }
    if (ctx.auth !== null && !ctx.auth.check(req.headers['proxy-authorization'])) {
      ctx.stats.recordRequest('connect', 'denied');
      rawText(socket, 407, 'banwall: proxy authentication required', {
        'Proxy-Authenticate': ctx.auth.challenge,
      });
      return;
    }
    const target = parseConnectTarget(req.url ?? '');
    if (target === null) {
      ctx.stats.recordRequest('connect', 'badrequest');
      rawText(socket, 400, 'banwall: bad request: CONNECT needs host:port');
      return;
    }
    if (!ctx.cfg.connectPorts.includes(target.port)) {
      ctx.stats.recordRequest('connect', 'denied');
      rawText(socket, 403, `banwall: CONNECT to port ${target.port} is not allowed (proxy.connectPorts)`);
      return;
    }
    const client = state.client;
    const snap = ctx.policy.current;
    const match =
      target.ipFamily !== 0 ? snap.matchIp(target.host, client) : snap.matchName(target.host, client);
    if (match !== null) {
      this.refuse(req, socket, match, target.host);
      return;
    }
    const monitored =
      target.ipFamily !== 0
        ? (snap.monitoredIp?.(target.host, client) ?? null)
        : (snap.monitoredName?.(target.host, client) ?? null);
    if (monitored !== null) {
      // A list in monitor mode would refuse this tunnel: counted and recorded, then opened as usual.
      ctx.stats.recordMonitored(monitored, {
        host: target.host,
        client,
        kind: 'connect',
        target: req.url ?? target.host,
        method: 'CONNECT',
        status: 0,
        identity: proxyUser(req.headers['proxy-authorization']),
      });
    }
    if (target.ipFamily !== 0) {
      this.open(req, socket, head, target, target.host, client);
      return;
    }
    const found = lookupAddresses(ctx.resolver, target.host, client);
    const go = (r: LookupResult) => this.resolved(req, socket, head, target, client, r);
    if (found instanceof Promise) found.then(go, () => go({ kind: 'failed', reason: 'servfail' }));
    else go(found);
  }

  private resolved(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    target: ConnectTarget,
    client: string,
    r: LookupResult,
  ): void {
    if (socket.destroyed) return;
    if (r.kind === 'blocked') {
      this.refuse(req, socket, r.block, target.host);
      return;
    }
    if (r.kind === 'failed' && r.reason === 'ratelimited') {
      this.ctx.stats.recordRequest('connect', 'limited');
      rawText(socket, 429, RATE_LIMITED, RETRY_AFTER);
      return;
    }
    if (r.kind === 'failed') {
      this.ctx.stats.recordRequest('connect', 'error');
      rawText(
        socket,
        r.reason === 'servfail' ? 504 : 502,
        `banwall: cannot resolve ${target.host} (${r.reason})`,
      );
      return;
    }
    const address = r.addresses[0];
    const ipMatch = this.ctx.policy.current.matchIp(address, client);
    if (ipMatch !== null) {
      this.refuse(req, socket, ipMatch, target.host);
      return;
    }
    if (this.interceptor !== null) {
      // proxy.intercept: a host whose URL rules need the URL is decrypted; every other is spliced.
      const cls = this.interceptor.classify(target.host, client);
      if (cls !== null) {
        this.interceptor.open(
          socket,
          head,
          target,
          address,
          client,
          cls,
          proxyUser(req.headers['proxy-authorization']),
        );
        return;
      }
    }
    this.open(req, socket, head, target, address, client);
  }

  private refuse(req: IncomingMessage, socket: Socket, match: BlockMatch, host: string): void {
    this.ctx.stats.recordBlocked(match, {
      host,
      client: connectionState(socket)?.client ?? '',
      kind: 'connect',
      target: req.url ?? host,
      method: 'CONNECT',
      status: 403,
      identity: proxyUser(req.headers['proxy-authorization']),
    });
    rawBlock(socket, this.ctx.cfg.blockPage, match, host, wantsHtml(req.headers.accept));
  }

  /** Connects to the origin, answers 200, then waits for the ClientHello before relaying a byte. */
  private open(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    target: ConnectTarget,
    address: string,
    client: string,
  ): void {
    const { ctx } = this;
    const refused = ctx.targets.check(address, target.port, target.host);
    if (refused !== null) {
      ctx.stats.recordRequest('connect', 'denied');
      rawText(socket, 403, TargetGuard.message(refused, address, target.port));
      return;
    }
    const timeouts = ctx.cfg.timeouts;
    // Collect what the client sends from now on (some clients send the ClientHello before the 200).
    let hello: Buffer = head.length > 0 ? Buffer.from(head) : Buffer.alloc(0);
    let decided = false;
    let checking = false; // an asynchronous SNI check is running
    const upstream = net.connect({ host: address, port: target.port, noDelay: true });
    this.upstreams.add(upstream);
    ctx.stats.openTunnels++;
    let helloTimer: NodeJS.Timeout | undefined;
    const connectTimer = setTimeout(() => {
      if (upstream.connecting) fail(504, `banwall: ${target.host}:${target.port} did not answer in time`);
    }, timeouts.upstream);

    const close = () => {
      clearTimeout(connectTimer);
      clearTimeout(helloTimer);
      socket.destroy();
      upstream.destroy();
    };
    const fail = (status: number, message: string) => {
      if (decided) return close();
      decided = true;
      ctx.stats.recordRequest('connect', 'error');
      upstream.destroy();
      rawText(socket, status, message);
    };
    const onData = (chunk: Buffer) => {
      hello = hello.length === 0 ? chunk : Buffer.concat([hello, chunk]);
      if (hello.length > MAX_HELLO + 5 * 8) {
        decide();
        if (!decided) refuseTls('badrequest');
      } else if (!upstream.connecting) {
        decide();
      }
    };
    const refuseTls = (result: 'badrequest' | 'denied' | 'limited') => {
      decided = true;
      ctx.stats.recordRequest('connect', result);
      close();
    };
    const decide = () => {
      if (decided || checking || upstream.connecting) return;
      const parsed = parseClientHello(hello);
      switch (parsed.state) {
        case 'incomplete':
          return;
        case 'not-tls':
          if (ctx.cfg.requireTls) return refuseTls('denied');
          return relay();
        case 'invalid':
          return refuseTls('badrequest');
        case 'hello':
          if (parsed.sni === null || parsed.sni === target.host) return relay();
          checking = true;
          return this.checkSni(parsed.sni, client, (match) => {
            checking = false;
            if (decided) return;
            if (match === null) return relay();
            if (match === 'limited') return refuseTls('limited');
            if (match === 'fronted') return refuseTls('denied');
            decided = true;
            ctx.stats.recordBlocked(match, {
              host: parsed.sni ?? target.host,
              client,
              kind: 'connect',
              target: `${parsed.sni} → ${req.url ?? target.host}`,
              method: 'CONNECT',
              status: 0,
              identity: proxyUser(req.headers['proxy-authorization']),
            });
            close();
          });
      }
    };
    const relay = () => {
      if (decided) return;
      decided = true;
      clearTimeout(helloTimer);
      socket.off('data', onData);
      ctx.stats.recordRequest('connect', 'allowed');
      if (hello.length > 0) upstream.write(hello);
      socket.pipe(upstream);
      upstream.pipe(socket);
    };

    socket.on('data', onData);
    socket.once('close', close);
    socket.setTimeout(timeouts.idle, close);
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!decided)
        fail(502, `banwall: cannot reach ${target.host}:${target.port} (${err.code ?? err.message})`);
      else close();
    });
    upstream.once('close', () => {
      this.upstreams.delete(upstream);
      ctx.stats.openTunnels--;
      close();
    });
    upstream.setTimeout(timeouts.idle, close);
    upstream.once('connect', () => {
      clearTimeout(connectTimer);
      if (socket.destroyed) return close();
      socket.write(ESTABLISHED);
      helloTimer = setTimeout(() => {
        if (!decided) refuseTls('badrequest');
      }, timeouts.clientHello);
      decide();
    });
  }

  /**
   * The ClientHello names another host than the CONNECT target (an IP literal, or domain fronting):
   * judge that name like a CONNECT to it, through the chain, so CNAME cloaking applies too.
   */
  private checkSni(
    sni: string,
    client: string,
    done: (m: BlockMatch | null | 'limited' | 'fronted') => void,
  ): void {
    // A spliced tunnel whose hello names an intercepted host would carry that host's URLs unjudged.
    if (this.interceptor?.classify(sni, client) != null) return done('fronted');
    const direct = this.ctx.policy.current.matchName(sni, client);
    if (direct !== null) return done(direct);
    const found: MaybePromise<LookupResult> = lookupAddresses(this.ctx.resolver, sni, client);
    // Over the DNS budget the name cannot be judged (CNAME cloaking): the tunnel closes.
    const judge = (r: LookupResult) =>
      done(
        r.kind === 'blocked' ? r.block : r.kind === 'failed' && r.reason === 'ratelimited' ? 'limited' : null,
      );
    if (found instanceof Promise) found.then(judge, () => done(null));
    else judge(found);
  }
}
