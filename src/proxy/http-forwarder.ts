// Plain HTTP through the proxy: absolute-form requests judged by the policy (host, URL and IP rules),
// the host resolved through banwall's own chain, and the request forwarded to the address that was
// checked: bodiless GET/HEAD by the undici forwarder (undici-forwarder.ts, `proxy.forwarder`), the
// rest by http-proxy-3.
//
// Per request on the allowed path: one URL parse, one policy lookup, one chain lookup (a cache hit is
// synchronous, no promise), then the forwarder. No logging, no closure per request of our own.
import http, { type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { createProxyServer, type ProxyServer as HttpProxy } from 'http-proxy-3';
import type { BlockMatch, PolicySnapshot } from '../policy/snapshot.ts';
import { lookupAddresses, type LookupResult } from '../dns/internal-lookup.ts';
import { connectionState, portInRanges, type ProxyContext } from './context.ts';
import { parseHttpTarget, type HttpTarget } from './target.ts';
import { prepareRequestHeaders, prepareResponseHeaders } from './headers.ts';
import { sendText, sendUpstreamError, RATE_LIMITED, RETRY_AFTER } from './responses.ts';
import { isBodiless, UndiciForwarder } from './undici-forwarder.ts';
import { proxyUser } from './client-gate.ts';
import { TargetGuard } from './target-guard.ts';
import { judgeUrl, monitoredUrl } from './url-judge.ts';
import { internalError, noteMonitored, refuseRequest, type RequestSource } from './judged-request.ts';

/** After a malformed request the connection's framing cannot be trusted: close it. */
const CLOSE = { connection: 'close' };

class UpstreamTimeout extends Error {
  readonly code = 'EUPSTREAM_TIMEOUT';
}

/** A `lookup` for the agent that refuses names: connections go to the address the policy judged. */
function ipOnlyLookup(
  hostname: string,
  _opts: unknown,
  cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family !== 0) cb(null, hostname, family);
  else
    cb(
      Object.assign(new Error(`refusing to resolve ${hostname} outside banwall`), { code: 'ENOTFOUND' }),
      '',
      0,
    );
}

/** `https` for a request inside an intercepted tunnel, whose socket is tagged so. */
function kindOf(req: IncomingMessage): 'http' | 'https' {
  return connectionState(req.socket)?.intercepted === true ? 'https' : 'http';
}

/** Called with `this` = the upstream ClientRequest (shared function: no closure per request). */
function onUpstreamTimeout(this: ClientRequest): void {
  this.destroy(new UpstreamTimeout('upstream timed out'));
}

export class HttpForwarder {
  private readonly ctx: ProxyContext;
  readonly agent: http.Agent;
  private readonly proxy: HttpProxy;
  private readonly upstreamMs: number;
  private readonly idleMs: number;
  /** Bodiless GET/HEAD (`proxy.forwarder` auto or undici); null: everything on http-proxy-3. */
  private readonly undici: UndiciForwarder | null;

  constructor(ctx: ProxyContext) {
    this.ctx = ctx;
    this.undici = ctx.cfg.forwarder === 'http-proxy' ? null : new UndiciForwarder(ctx);
    this.upstreamMs = ctx.cfg.timeouts.upstream;
    this.idleMs = ctx.cfg.timeouts.idle;
    this.agent = new http.Agent({
      keepAlive: true,
      // Origins commonly close idle connections after 5 s (Node's default); giving a free socket up
      // at 4 s avoids reusing one the origin is closing, which would fail a request with a reset.
      timeout: 4000,
      maxFreeSockets: 256,
      maxTotalSockets: ctx.cfg.maxConnections,
      scheduling: 'lifo',
      lookup: ipOnlyLookup as never,
    });
    this.proxy = createProxyServer({
      xfwd: false,
      agent: this.agent,
      connectTimeout: this.upstreamMs,
    });
    this.proxy.on('error', this.onProxyError);
    this.proxy.on('econnreset', () => {});
    this.proxy.on('proxyReq', this.onProxyReq);
    this.proxy.on('proxyRes', this.onProxyRes);
  }

  /** The `request` handler of the proxy's HTTP server. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      this.judge(req, res);
    } catch (err) {
      internalError(this.ctx, 'http', req, res, err);
    }
  };

  private judge(req: IncomingMessage, res: ServerResponse): void {
    const { ctx } = this;
    const state = connectionState(req.socket);
    if (state === undefined || state.limited) {
      req.socket.destroy();
      return;
    }
    if (!state.active) {
      state.active = true;
      req.socket.setTimeout(this.idleMs);
    }
    if (req.httpVersionMajor !== 1 || (req.httpVersionMinor === 1 && req.headers.host === undefined)) {
      // HTTP/0.9 (`GET url` without a version) has no headers to judge or forward; HTTP/1.1 requires
      // Host (RFC 9112 §3.2), checked here rather than by Node so that it is counted.
      ctx.stats.recordRequest('http', 'badrequest');
      sendText(req, res, 400, 'banwall: bad request: HTTP/1.1 with a Host header, or HTTP/1.0', CLOSE);
      return;
    }
    if (!state.allowed) {
      ctx.stats.recordRequest('http', 'denied');
      sendText(req, res, 403, 'banwall: this proxy serves only its own network (proxy.allowedClients)');
      return;
    }
    if (ctx.auth !== null && !ctx.auth.check(req.headers['proxy-authorization'])) {
      ctx.stats.recordRequest('http', 'denied');
      sendText(req, res, 407, 'banwall: proxy authentication required', {
        'proxy-authenticate': ctx.auth.challenge,
      });
      return;
    }
    const target = parseHttpTarget(req.url ?? '');
    if (target === null) {
      ctx.stats.recordRequest('http', 'badrequest');
      const url = req.url ?? '';
      const why = url.startsWith('/')
        ? 'this is a forward proxy: send absolute-form requests (http://host/path)'
        : /^https:/i.test(url)
          ? 'use CONNECT for https:// URLs'
          : 'the request target is not a valid http:// URL';
      sendText(req, res, 400, `banwall: bad request: ${why}`, CLOSE);
      return;
    }
    const via = req.headers.via;
    if (via !== undefined && via.includes(ctx.viaId)) {
      ctx.stats.recordRequest('http', 'badrequest');
      sendText(req, res, 508, 'banwall: forwarding loop detected (Via)', CLOSE);
      return;
    }
    if (!portInRanges(target.port, ctx.cfg.httpPorts)) {
      ctx.stats.recordRequest('http', 'denied');
      sendText(req, res, 403, `banwall: port ${target.port} is not allowed (proxy.httpPorts)`);
      return;
    }
    if (target.policyPath === null) {
      // Origins disagree on what a malformed escape or an encoded NUL means; nginx and Tomcat answer
      // 400 too. Guessing would let a rule be bypassed.
      ctx.stats.recordRequest('http', 'badrequest');
      sendText(
        req,
        res,
        400,
        'banwall: bad request: malformed %-escape, %00, or a path encoded too deep',
        CLOSE,
      );
      return;
    }
    const snap = ctx.policy.current;
    const client = state.client;
    // `\` or `;` in the path is also judged as IIS and Tomcat read it (url-path.ts).
    const match = judgeUrl(snap, target, client);
    if (match === null) this.noteMonitored(req, snap, target, client);
    if (match === null && target.ipFamily !== 0) {
      this.forward(req, res, target, target.host);
      return;
    }
    if (match !== null) {
      this.block(req, res, match, target);
      return;
    }
    const found = lookupAddresses(ctx.resolver, target.host, client);
    if (found instanceof Promise) {
      found.then(
        (r) => this.resolved(req, res, target, r),
        () => this.resolved(req, res, target, { kind: 'failed', reason: 'servfail' }),
      );
    } else {
      this.resolved(req, res, target, found);
    }
  }

  private resolved(req: IncomingMessage, res: ServerResponse, target: HttpTarget, r: LookupResult): void {
    if (res.destroyed || req.socket.destroyed) return; // the client left while we resolved
    try {
      const { ctx } = this;
      if (r.kind === 'blocked') {
        this.block(req, res, r.block, target);
        return;
      }
      if (r.kind === 'failed' && r.reason === 'ratelimited') {
        ctx.stats.recordRequest('http', 'limited');
        sendText(req, res, 429, RATE_LIMITED, RETRY_AFTER);
        return;
      }
      if (r.kind === 'failed') {
        ctx.stats.recordRequest('http', 'error');
        const status = r.reason === 'servfail' ? 504 : 502;
        sendText(req, res, status, `banwall: cannot resolve ${target.host} (${r.reason})`);
        return;
      }
      const address = r.addresses[0];
      // The chain's blocking link judged the answer's addresses; this re-checks the one we dial,
      // in case the answer came from a link that does not carry facts.
      const ipMatch = ctx.policy.current.matchIp(address, connectionState(req.socket)!.client);
      if (ipMatch !== null) {
        this.block(req, res, ipMatch, target);
        return;
      }
      this.forward(req, res, target, address);
    } catch (err) {
      internalError(this.ctx, 'http', req, res, err);
    }
  }

  private block(req: IncomingMessage, res: ServerResponse, match: BlockMatch, target: HttpTarget): void {
    refuseRequest(this.ctx, req, res, match, target, this.source(req, target));
  }

  /** A list in monitor mode that would refuse this request: counted and recorded, then forwarded. */
  private noteMonitored(
    req: IncomingMessage,
    snap: PolicySnapshot,
    target: HttpTarget,
    client: string,
  ): void {
    const m = monitoredUrl(snap, target, client);
    if (m !== null) noteMonitored(this.ctx, req, m, target, this.source(req, target));
  }

  private source(req: IncomingMessage, target: HttpTarget): RequestSource {
    return {
      kind: 'http',
      client: connectionState(req.socket)?.client ?? '',
      authority: target.authority,
      identity: proxyUser(req.headers['proxy-authorization']),
    };
  }

  private forward(req: IncomingMessage, res: ServerResponse, target: HttpTarget, address: string): void {
    const refused = this.ctx.targets.check(address, target.port, target.host);
    if (refused !== null) {
      this.ctx.stats.recordRequest('http', 'denied');
      sendText(req, res, 403, TargetGuard.message(refused, address, target.port));
      return;
    }
    const bodiless = this.undici !== null && isBodiless(req);
    prepareRequestHeaders(req.headers, target.authority, this.ctx.via);
    if (bodiless) {
      this.undici!.forward(req, res, target.originForm, address, target.port);
      return;
    }
    req.url = target.originForm;
    this.proxy.web(req, res, { target: { protocol: 'http:', host: address, port: target.port } });
  }

  private onProxyReq = (proxyReq: ClientRequest): void => {
    proxyReq.setTimeout(this.upstreamMs, onUpstreamTimeout);
  };

  /**
   * Forwards a request judged inside an intercepted tunnel over that tunnel's verified origin
   * connection (`agent` hands out only sockets whose certificate verified for the name).
   */
  forwardIntercepted(
    req: IncomingMessage,
    res: ServerResponse,
    address: string,
    port: number,
    agent: http.Agent,
  ): void {
    this.proxy.web(req, res, { target: { protocol: 'http:', host: address, port }, agent });
  }

  private onProxyRes = (proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse): void => {
    this.ctx.stats.recordRequest(kindOf(req), 'allowed');
    prepareResponseHeaders(proxyRes.headers, this.ctx.via);
    // http-proxy-3 would copy the client's Connection header, which prepareRequestHeaders removed;
    // say what Node will do with this connection instead.
    if (!res.shouldKeepAlive) proxyRes.headers.connection = 'close';
  };

  private onProxyError = (err: Error, req: IncomingMessage, res: ServerResponse | unknown): void => {
    const { ctx } = this;
    const r = res as ServerResponse;
    if (req.socket.destroyed || typeof r.writeHead !== 'function') {
      // The client went away; http-proxy-3 has destroyed the upstream request already.
      return;
    }
    ctx.stats.recordRequest(kindOf(req), 'error');
    sendUpstreamError(req, r, err);
  };

  close(): void {
    this.agent.destroy();
    this.undici?.close();
  }
}
