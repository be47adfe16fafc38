// Counters of the proxy, kept as plain numbers on the request path and published by
// src/proxy/metrics.ts as banwall_proxy_requests_total{kind,result} and
// banwall_proxy_blocked_total{app,category,group}.
import type { BlockMatch } from '../policy/snapshot.ts';

export type ProxyKind = 'http' | 'connect';
export type ProxyResult = 'allowed' | 'blocked' | 'denied' | 'error' | 'badrequest';

export class ProxyStats {
  /** `${kind}|${result}` → count */
  readonly requests = new Map<string, number>();
  /** `${app}|${category}|${group}` → count */
  readonly blocked = new Map<string, number>();

  recordRequest(kind: ProxyKind, result: ProxyResult): void {
    const key = `${kind}|${result}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  recordBlock(match: BlockMatch): void {
    const key = `${match.rule.app}|${match.rule.category}|${match.group}`;
    this.blocked.set(key, (this.blocked.get(key) ?? 0) + 1);
  }
}
