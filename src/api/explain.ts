// GET /api/explain?name=NAME|URL|IP[&client=IP][&type=TYPE][&resolve=1]: the same input checks
// (src/explain/input.ts), the same function and the same JSON as `banwall explain --json`.
//
// resolve=1 asks this banwall's upstream link (below the cache: the live answer) and judges it as the
// resolver does. It sends a query out and answers with the addresses it got, so it is a DNS lookup
// over HTTP that skips dns.allowedClients and the rate limit: it needs the API token when one is
// set, and without a token it is served only while every http.listen address is loopback (and not
// in a cluster worker, which cannot see the primary's http.listen).
import cluster from 'node:cluster';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppHandle } from '../app-handle.ts';
import { explainName } from '../policy/explain.ts';
import { checkExplainInput } from '../explain/input.ts';
import { followLive } from '../explain/live.ts';
import { apiToken, checkBearer } from './auth.ts';
import { sendError, sendJson } from './respond.ts';

const USAGE = '/api/explain?name=weixin.qq.com[&client=IP][&type=A][&resolve=1]';

function isLoopback(host: string): boolean {
  return host === '::1' || host.startsWith('127.') || host === 'localhost';
}

/** resolve=, resolve=1, resolve=true: yes; absent, 0, false: no; anything else: null (a 400). */
function flag(text: string | null): boolean | null {
  if (text === null || text === '0' || text === 'false') return false;
  if (text === '' || text === '1' || text === 'true') return true;
  return null;
}

function mayResolve(app: AppHandle, req: IncomingMessage): string | null {
  const http = app.config().http;
  const token = apiToken(http.token);
  const auth = checkBearer(req, token);
  if (auth === 'ok') return null;
  // A cluster worker's own listener is always loopback (the primary serves http.listen and passes
  // this request on), so it cannot tell where the client is: there, only the token opens it.
  const local = !cluster.isWorker && http.listen.every((l) => isLoopback(l.host));
  if (auth === 'no-token-configured' && local) return null;
  return token === undefined
    ? 'resolve=1 needs the API token unless http.listen is loopback-only (and dns.workers is 1): set http.token'
    : 'resolve=1 needs "Authorization: Bearer <token>"';
}

export async function explain(
  app: AppHandle,
  res: ServerResponse,
  url: URL,
  req: IncomingMessage = res.req,
): Promise<void> {
  const q = url.searchParams;
  if (q.get('name') === null) {
    sendError(res, 400, `name is required: ${USAGE}`);
    return;
  }
  const checked = checkExplainInput({ subject: q.get('name'), client: q.get('client'), type: q.get('type') });
  if (!checked.ok) {
    sendError(res, 400, checked.error);
    return;
  }
  const resolve = flag(q.get('resolve'));
  if (resolve === null) {
    sendError(res, 400, `resolve must be 1 or 0: ${USAGE}`);
    return;
  }
  const input = checked.input;
  const policy = app.policy.current;
  const result = explainName(policy, input.subject, input.client, input.type);
  if (!resolve) {
    sendJson(res, 200, result);
    return;
  }
  const refused = mayResolve(app, req);
  if (refused !== null) {
    sendError(res, 403, refused);
    return;
  }
  sendJson(res, 200, { ...result, live: await followLive(app.chain.upstream, policy, input) });
}
