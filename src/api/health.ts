// /healthz (the process answers) and /readyz (a policy is loaded and at least one upstream answers).
import type { ServerResponse } from 'node:http';
import type { AppHandle } from '../app-handle.ts';
import { sendJson } from './respond.ts';

export function healthz(res: ServerResponse): void {
  sendJson(res, 200, { ok: true });
}

export function readyz(app: AppHandle, res: ServerResponse): void {
  const policy = app.policy.current;
  const upstreams = app.chain?.upstream.health() ?? [];
  const policyLoaded = policy !== undefined;
  // Only `dns.upstreams` count: a healthy forward-zone upstream answers one internal zone, not the
  // network, so it must not keep an instance in a load balancer while every main upstream is down.
  const upstreamUp = upstreams.some((u) => u.healthy && u.forwardOnly !== true);
  const ready = policyLoaded && upstreamUp;
  sendJson(res, ready ? 200 : 503, {
    ready,
    policy: policyLoaded ? { generation: policy.generation } : null,
    upstreams: upstreams.map((u) => ({ url: u.url, healthy: u.healthy })),
    ...(ready
      ? {}
      : {
          reason: !policyLoaded
            ? 'no policy loaded yet'
            : 'no upstream is answering (every upstream is down)',
        }),
  });
}
