// GET /api/explain?name=NAME|URL|IP[&client=IP][&type=TYPE][&resolve=1]: the same input checks
// (src/explain/input.ts), the same function and the same JSON as `banwall explain --json`.
//
// resolve=1 asks this banwall's upstream link (below the cache: the live answer) and judges it as the
// resolver does. It sends a query out and returns the addresses it got: a lookup for the API's
// readers, who are already checked before any handler runs (access.ts: http.allowedClients, the
// Host header, and the read token for requests that do not arrive over loopback).
import type { ServerResponse } from 'node:http';
import type { AdminOps } from './admin-ops.ts';
import { explainName } from '../policy/explain.ts';
import { checkExplainInput } from '../explain/input.ts';
import { sendError, sendJson } from './respond.ts';

const USAGE = '/api/explain?name=weixin.qq.com[&client=IP][&type=A][&resolve=1]';

/** resolve=, resolve=1, resolve=true: yes; absent, 0, false: no; anything else: null (a 400). */
function flag(text: string | null): boolean | null {
  if (text === null || text === '0' || text === 'false') return false;
  if (text === '' || text === '1' || text === 'true') return true;
  return null;
}

export async function explain(app: AdminOps, res: ServerResponse, url: URL): Promise<void> {
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
  sendJson(res, 200, { ...result, live: await app.explainLive(input) });
}
