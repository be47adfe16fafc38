// The forwarder for bodiless GET and HEAD (no Content-Length, no Transfer-Encoding, no Upgrade): the
// request goes out through undici's `Pool.dispatch` on a keep-alive pool for the judged address
// (origin-pools.ts), and the response streams back through the client's ServerResponse. Everything
// else (bodies, Upgrade, intercepted tunnels) stays on http-proxy-3 (http-forwarder.ts).
//
// Why: the profile of an allowed request on the http-proxy-3 path (bench/README.md, issue 17.5) spent
// a third of its CPU in Node's http.ClientRequest, http.Agent and http-proxy-3's passes; a dispatch
// handler skips all three. One handler object per request (its methods on the prototype), the client
// abort and drain listeners are shared functions that find it through a symbol: no closures.
import { STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { ProxyContext } from './context.ts';
import { prepareResponseHeaders } from './headers.ts';
import { OriginPools } from './origin-pools.ts';
import { sendUpstreamError } from './responses.ts';

/** Whether the bodiless forwarder may take `req`; asked before its headers are rewritten. */
export function isBodiless(req: IncomingMessage): boolean {
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  const h = req.headers;
  return h['content-length'] === undefined && h['transfer-encoding'] === undefined && h.upgrade === undefined;
}

/** The reason an upstream request is aborted when its client has gone: nothing is answered. */
class ClientGone extends Error {
  readonly code = 'ECLIENTGONE';
}
const CLIENT_GONE = new ClientGone('the proxy client went away');

const kExchange = Symbol('banwall.proxy.exchange');
type Tagged = ServerResponse & { [kExchange]?: Exchange };

/** One request's undici handler (the DispatchHandler API of undici ≥ 7). */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly fwd: UndiciForwarder;
  private readonly req: IncomingMessage;
  private readonly res: Tagged;
  controller: Dispatcher.DispatchController | null = null;
  clientGone = false;

  constructor(fwd: UndiciForwarder, req: IncomingMessage, res: Tagged) {
    this.fwd = fwd;
    this.req = req;
    this.res = res;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // The client left while the request waited for a pooled connection.
    if (this.clientGone) controller.abort(CLIENT_GONE);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    // 1xx (103 Early Hints): informational, the final response follows; not forwarded.
    if (statusCode < 200) return;
    const res = this.res;
    if (this.clientGone || res.destroyed) {
      controller.abort(CLIENT_GONE);
      return;
    }
    this.fwd.ctx.stats.recordRequest('http', 'allowed');
    prepareResponseHeaders(headers, this.fwd.ctx.via);
    // Node frames the body for this client itself (chunked, or close for HTTP/1.0): the origin's
    // framing is hop-by-hop (RFC 9112 §6.1), and so is its opinion on this connection.
    if (headers['transfer-encoding'] !== undefined) delete headers['transfer-encoding'];
    if (!res.shouldKeepAlive) headers.connection = 'close';
    if (statusMessage !== undefined && statusMessage !== '' && statusMessage !== STATUS_CODES[statusCode]) {
      res.writeHead(statusCode, statusMessage, headers);
    } else {
      res.writeHead(statusCode, headers);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      // A slow client: stop reading the origin until its socket drains.
      controller.pause();
      this.res.once('drain', onClientDrain);
    }
  }

  onResponseEnd(): void {
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    if (this.clientGone || err === CLIENT_GONE) return;
    const res = this.res;
    if (res.destroyed || this.req.socket.destroyed) return;
    this.fwd.ctx.stats.recordRequest('http', 'error');
    sendUpstreamError(this.req, res, err);
  }
}

/** `close` of the client's response (`this`): before it finished, the client went away. */
function onClientClose(this: Tagged): void {
  const ex = this[kExchange];
  if (ex === undefined || this.writableFinished) return;
  ex.clientGone = true;
  ex.controller?.abort(CLIENT_GONE);
}

function onClientDrain(this: Tagged): void {
  this[kExchange]?.controller?.resume();
}

export class UndiciForwarder {
  readonly ctx: ProxyContext;
  readonly pools: OriginPools;

  constructor(ctx: ProxyContext) {
    this.ctx = ctx;
    this.pools = new OriginPools({
      upstreamMs: ctx.cfg.timeouts.upstream,
      connections: ctx.cfg.maxConnections,
    });
  }

  /**
   * Forwards `req` (bodiless, judged, its headers prepared: hop-by-hop removed, Host and Via set) to
   * `address:port`, the IP literal the target guard approved.
   */
  forward(req: IncomingMessage, res: ServerResponse, path: string, address: string, port: number): void {
    const pool = this.pools.get(address, port, address.includes(':') ? 6 : 4);
    const ex = new Exchange(this, req, res);
    (res as Tagged)[kExchange] = ex;
    res.on('close', onClientClose);
    pool.dispatch({ path, method: req.method as 'GET' | 'HEAD', headers: req.headers }, ex);
  }

  close(): void {
    this.pools.destroy();
  }
}
