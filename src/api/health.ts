// /healthz (the process answers) and /readyz (a policy is loaded and at least one main upstream
// answered recently: the upstream link probes them actively, so this holds with no client traffic).
import type { ServerResponse } from 'node:http';
import type { AdminOps } from './admin-ops.ts';
import { sendJson } from './respond.ts';

export function healthz(res: ServerResponse): void {
  sendJson(res, 200, { ok: true });
}

export function readyz(app: AdminOps, res: ServerResponse): void {
  const policy = app.policy.current;
  const upstreams = app.upstreams();
  const policyLoaded = policy !== undefined;
  // Only `dns.upstreams` count: a forward-zone upstream answers one internal zone, not the network,
  // so it must not keep an instance in a load balancer while every main upstream is down.
  const upstreamUp = upstreams.some((u) => u.answering && u.forwardOnly !== true);
  const ready = policyLoaded && upstreamUp;
  sendJson(res, ready ? 200 : 503, {
    ready,
    policy: policyLoaded ? { generation: policy.generation } : null,
    upstreams: upstreams.map((u) => ({ url: u.url, healthy: u.healthy, answering: u.answering })),
    ...(ready
      ? {}
      : {
          reason: !policyLoaded
            ? 'no policy loaded yet'
            : 'no main upstream answered a health probe recently (every upstream is down)',
        }),
  });
}
