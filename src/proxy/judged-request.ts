// What happens to an HTTP request once judged, the same for plain HTTP (http-forwarder.ts) and for
// requests inside an intercepted tunnel (intercept/tunnel-requests.ts): a block is recorded (counter,
// top lists, event) and answered with the 403 page; a monitored match is recorded and forwarded; a
// handler that throws answers 500. One copy, so that both paths record and answer alike.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlockMatch } from '../policy/snapshot.ts';
import type { ProxyContext } from './context.ts';
import type { ProxyBlock } from './proxy-stats.ts';
import { sendBlock, sendText } from './responses.ts';
import type { HttpTarget } from './target.ts';

/** Where a judged request came from, for its event and its page. */
export interface RequestSource {
  /** `http`: plain HTTP through the proxy; `https`: inside a decrypted tunnel. */
  readonly kind: 'http' | 'https';
  readonly client: string;
  /** `host` or `host:port` as the request named it. */
  readonly authority: string;
  /** The proxy's Basic-auth user, or ''. */
  readonly identity: string;
}

/** The page shows at most this much of the URL. */
const SHOWN_URL = 300;

function event(req: IncomingMessage, target: HttpTarget, src: RequestSource, status: number): ProxyBlock {
  return {
    host: target.host,
    client: src.client,
    kind: src.kind,
    target: src.authority + target.originForm,
    method: req.method ?? 'GET',
    status,
    identity: src.identity,
    intercepted: src.kind === 'https',
  };
}

/** A policy block: recorded (banwall_proxy_requests_total, blocked counters, event), then the 403 page. */
export function refuseRequest(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  match: BlockMatch,
  target: HttpTarget,
  src: RequestSource,
): void {
  ctx.stats.recordBlocked(match, event(req, target, src, 403));
  const what = `${src.kind}://${src.authority}${target.originForm}`;
  sendBlock(
    req,
    res,
    ctx.cfg.blockPage,
    match,
    what.length > SHOWN_URL ? `${what.slice(0, SHOWN_URL)}…` : what,
  );
}

/** A list in monitor mode would refuse this request: counted and recorded; the caller forwards it. */
export function noteMonitored(
  ctx: ProxyContext,
  req: IncomingMessage,
  match: BlockMatch,
  target: HttpTarget,
  src: RequestSource,
): void {
  ctx.stats.recordMonitored(match, event(req, target, src, 0));
}

/** A request handler threw: logged, counted as an error, answered 500 (never a crash). */
export function internalError(
  ctx: ProxyContext,
  kind: 'http' | 'https',
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
): void {
  ctx.log.error({ err }, 'proxy request handler failed');
  ctx.stats.recordRequest(kind, 'error');
  sendText(req, res, 500, 'banwall: internal error');
}
