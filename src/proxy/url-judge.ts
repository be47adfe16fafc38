// The policy decision for one HTTP request, shared by plain HTTP (http-forwarder.ts) and requests inside
// an intercepted HTTPS tunnel (intercept/tunnel-requests.ts), so that a URL rule means the same on both.
import type { BlockMatch, PolicySnapshot } from '../policy/snapshot.ts';
import type { HttpTarget } from './target.ts';

/**
 * IP rules for an IP literal, then host and URL rules on the normalised path, then (when the path has
 * `\` or `;`) the IIS/Tomcat view of it. `target.policyPath` must not be null (refused before).
 */
export function judgeUrl(snap: PolicySnapshot, target: HttpTarget, client: string): BlockMatch | null {
  let match: BlockMatch | null = target.ipFamily !== 0 ? snap.matchIp(target.host, client) : null;
  match ??= snap.matchUrl({ host: target.host, path: target.policyPath!, query: target.query }, client);
  if (match === null && target.windowsPath !== null) {
    match = snap.matchUrl({ host: target.host, path: target.windowsPath, query: target.query }, client);
  }
  return match;
}

/** For a request `judgeUrl` let through: the match a list in monitor (dry-run) mode made, or null. */
export function monitoredUrl(snap: PolicySnapshot, target: HttpTarget, client: string): BlockMatch | null {
  if (snap.monitoredUrl === undefined) return null;
  let match = target.ipFamily !== 0 ? (snap.monitoredIp?.(target.host, client) ?? null) : null;
  match ??= snap.monitoredUrl({ host: target.host, path: target.policyPath!, query: target.query }, client);
  if (match === null && target.windowsPath !== null) {
    match = snap.monitoredUrl({ host: target.host, path: target.windowsPath, query: target.query }, client);
  }
  return match;
}
