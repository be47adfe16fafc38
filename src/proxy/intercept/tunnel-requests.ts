// The HTTP/1.1 requests inside an intercepted tunnel: one Node HTTP server (never listening) is handed
// each decrypted client socket. Every request is judged with the same URL rules as plain HTTP
// (url-judge.ts) on the tunnel's name and forwarded, when allowed, by the plain-HTTP forwarder over
// the tunnel's own origin connections (whose certificates verified for that name).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { connectionState, type ProxyContext } from '../context.ts';
import type { HttpForwarder } from '../http-forwarder.ts';
import { parseHttpTarget } from '../target.ts';
import { prepareRequestHeaders } from '../headers.ts';
import { sendBlock, sendText } from '../responses.ts';
import { judgeUrl } from '../url-judge.ts';

/** What the request handler needs to know about the tunnel a request came through. */
export interface InterceptedTunnel {
  /** The name the leaf was minted for and the origin's certificate verified for. */
  readonly name: string;
  readonly port: number;
  /** The address that was judged and checked (target guard) at CONNECT time. */
  readonly address: string;
  /** `name` or `name:port`: the Host the origin gets. */
  readonly authority: string;
  readonly agent: http.Agent;
}

const kTunnel = Symbol('banwall.proxy.intercepted');
type Tagged = { [kTunnel]?: InterceptedTunnel };

export function tagTunnel(socket: TLSSocket, tunnel: InterceptedTunnel): void {
  (socket as Tagged)[kTunnel] = tunnel;
}

function tunnelOf(socket: Duplex): InterceptedTunnel | undefined {
  return (socket as Tagged)[kTunnel];
}

const CLOSE = { connection: 'close' };

/**
 * Whether a Host header names the tunnel's host: the name (any case, an optional trailing dot) with
 * no port or the tunnel's port. A request for another host inside the tunnel (fronting) gets 421.
 */
export function hostMatches(host: string, name: string, port: number): boolean {
  let h = host.toLowerCase();
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && !h.endsWith(']')) {
    if (h.slice(colon + 1) !== String(port)) return false;
    h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h === name;
}

export class TunnelRequests {
  private readonly ctx: ProxyContext;
  private readonly forwarder: HttpForwarder;
  readonly server: http.Server;

  constructor(ctx: ProxyContext, forwarder: HttpForwarder) {
    this.ctx = ctx;
    this.forwarder = forwarder;
    const t = ctx.cfg.timeouts;
    this.server = http.createServer({
      maxHeaderSize: ctx.cfg.maxHeaderSize,
      headersTimeout: t.headers,
      requestTimeout: 0,
      keepAliveTimeout: t.idle,
      insecureHTTPParser: false,
      requireHostHeader: false, // checked below, counted
      noDelay: true,
    });
    // The server never listens, so Node does not sweep slow headers: the idle timeout covers them.
    this.server.timeout = t.idle;
    this.server.on('request', this.handle);
    this.server.on('clientError', this.onClientError);
  }

  /** The decrypted client socket of a tunnel, after its handshake with the minted leaf. */
  accept(socket: TLSSocket): void {
    this.server.emit('connection', socket);
  }

  private handle = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      this.judge(req, res);
    } catch (err) {
      this.ctx.log.error({ err }, 'proxy intercepted request handler failed');
      this.ctx.stats.recordRequest('https', 'error');
      sendText(req, res, 500, 'banwall: internal error');
    }
  };

  private judge(req: IncomingMessage, res: ServerResponse): void {
    const { ctx } = this;
    const tunnel = tunnelOf(req.socket);
    const state = connectionState(req.socket);
    if (tunnel === undefined || state === undefined) {
      req.socket.destroy();
      return;
    }
    const url = req.url ?? '';
    const host = req.headers.host;
    if (req.httpVersionMajor !== 1 || host === undefined || url.charCodeAt(0) !== 47 /* / */) {
      // Inside the tunnel only origin-form requests with a Host header (RFC 9112 §3.2): absolute
      // form, `*` and HTTP/0.9 would let the request name something the policy did not judge.
      ctx.stats.recordRequest('https', 'badrequest');
      sendText(req, res, 400, 'banwall: bad request: origin-form request with a Host header expected', CLOSE);
      return;
    }
    if (!hostMatches(host, tunnel.name, tunnel.port)) {
      ctx.stats.recordRequest('https', 'badrequest');
      sendText(req, res, 421, `banwall: this connection serves ${tunnel.name} only`, CLOSE);
      return;
    }
    const via = req.headers.via;
    if (via !== undefined && via.includes(ctx.viaId)) {
      ctx.stats.recordRequest('https', 'badrequest');
      sendText(req, res, 508, 'banwall: forwarding loop detected (Via)', CLOSE);
      return;
    }
    // Parsed as the plain-HTTP forwarder parses `http://name/path`: the same normalised path, the
    // same query, so the same URL rules match.
    const target = parseHttpTarget(`http://${tunnel.name}${url}`);
    if (target === null || target.host !== tunnel.name || target.policyPath === null) {
      ctx.stats.recordRequest('https', 'badrequest');
      sendText(
        req,
        res,
        400,
        'banwall: bad request: malformed %-escape, %00, or a path encoded too deep',
        CLOSE,
      );
      return;
    }
    const match = judgeUrl(ctx.policy.current, target, state.client);
    if (match !== null) {
      ctx.stats.recordRequest('https', 'blocked');
      ctx.stats.recordBlock(match, target.host, state.client, true);
      const what = `https://${tunnel.authority}${target.originForm}`;
      sendBlock(req, res, ctx.cfg.blockPage, match, what.length > 300 ? `${what.slice(0, 300)}…` : what);
      return;
    }
    prepareRequestHeaders(req.headers, tunnel.authority, ctx.via);
    req.url = target.originForm;
    this.forwarder.forwardIntercepted(req, res, tunnel.address, tunnel.port, tunnel.agent);
  }

  private onClientError = (err: NodeJS.ErrnoException, socket: Duplex): void => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable) {
      socket.destroy();
      return;
    }
    this.ctx.stats.recordRequest('https', 'badrequest');
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = `banwall: ${http.STATUS_CODES[status]}\n`;
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  close(): void {
    this.server.closeAllConnections();
  }
}
