// The HTTP/1.1 requests inside an intercepted tunnel: one Node HTTP server (never listening) is handed
// each decrypted client socket. Every request is judged with the same URL rules as plain HTTP
// (url-judge.ts) on the tunnel's name and forwarded, when allowed, by the plain-HTTP forwarder over
// the tunnel's own origin connections (whose certificates verified for that name).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { connectionState, type ProxyContext } from '../context.ts';
import type { HttpForwarder } from '../http-forwarder.ts';
import { prepareRequestHeaders } from '../headers.ts';
import { rawClientError, sendText } from '../responses.ts';
import { internalError, noteMonitored, refuseRequest, type RequestSource } from '../judged-request.ts';
import { judgeUrl, monitoredUrl } from '../url-judge.ts';
import { tunnelRequestTarget } from './decisions.ts';

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
  /** The CONNECT's Basic-auth user, or ''. */
  readonly identity: string;
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
      internalError(this.ctx, 'https', req, res, err);
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
    const decided = tunnelRequestTarget(
      {
        httpVersionMajor: req.httpVersionMajor,
        url: req.url ?? '',
        host: req.headers.host,
        via: req.headers.via,
      },
      tunnel.name,
      tunnel.port,
      ctx.viaId,
    );
    if (decided.kind === 'refuse') {
      ctx.stats.recordRequest('https', 'badrequest');
      sendText(req, res, decided.status, decided.message, CLOSE);
      return;
    }
    const target = decided.target;
    const src: RequestSource = {
      kind: 'https',
      client: state.client,
      authority: tunnel.authority,
      identity: tunnel.identity,
    };
    const match = judgeUrl(ctx.policy.current, target, state.client);
    if (match !== null) {
      refuseRequest(ctx, req, res, match, target, src);
      return;
    }
    const monitored = monitoredUrl(ctx.policy.current, target, state.client);
    if (monitored !== null) noteMonitored(ctx, req, monitored, target, src);
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
    rawClientError(socket, err.code);
  };

  close(): void {
    this.server.closeAllConnections();
  }
}
