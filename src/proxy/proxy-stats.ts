// Counters of the proxy, kept as plain numbers on the request path and published by
// src/proxy/metrics.ts as banwall_proxy_requests_total{kind,result} and
// banwall_proxy_blocked_total{app,category,group}.
//
// A request costs one typed-array increment, a block two Map lookups keyed by objects the policy
// already holds (no string built per request); labels are assembled only when someone reads them.
import type { BlockMatch, RuleRef } from '../policy/snapshot.ts';

export const PROXY_KINDS = ['http', 'connect'] as const;
export type ProxyKind = (typeof PROXY_KINDS)[number];

/**
 * allowed: forwarded or tunnelled; blocked: refused by the policy; denied: client outside
 * allowedClients, failed authentication, or a port outside connectPorts/httpPorts; limited: over the
 * per-client or total connection cap; badrequest: malformed, oversized or smuggling-shaped requests;
 * error: the upstream could not be resolved, reached or timed out.
 */
export const PROXY_RESULTS = ['allowed', 'blocked', 'denied', 'limited', 'badrequest', 'error'] as const;
export type ProxyResult = (typeof PROXY_RESULTS)[number];

const KIND_INDEX: Record<ProxyKind, number> = { http: 0, connect: 1 };
const RESULT_INDEX = Object.fromEntries(PROXY_RESULTS.map((r, i) => [r, i])) as Record<ProxyResult, number>;

export class ProxyStats {
  private readonly counts = new Float64Array(PROXY_KINDS.length * PROXY_RESULTS.length);
  /** Blocks not yet folded into `folded`, per rule and group. */
  private pending = new Map<RuleRef, Map<string, number>>();
  private readonly folded = new Map<string, number>();
  /** Client connections open now (HTTP and tunnels). */
  openConnections = 0;
  /** Tunnels open now. */
  openTunnels = 0;

  recordRequest(kind: ProxyKind, result: ProxyResult): void {
    this.counts[KIND_INDEX[kind] * PROXY_RESULTS.length + RESULT_INDEX[result]]++;
  }

  /**
   * Where blocked hosts and clients go for `GET /api/top` (the resolver's top-k, so one list shows
   * what DNS and the proxy refused); given by the app. Hosts and clients are never metric labels.
   */
  topSink: { offerBlocked(name: string, client: string): void } | null;

  constructor(topSink: { offerBlocked(name: string, client: string): void } | null = null) {
    this.topSink = topSink;
  }

  /**
   * The canaries' source address (src/canary): its requests are probes, not client traffic, and
   * `recordBlocked` leaves them out of every counter and the top lists. Set by the app.
   */
  probeClient: string | null = null;

  /** A policy block: banwall_proxy_requests_total{result="blocked"}, the blocked counter, the top lists. */
  recordBlocked(kind: ProxyKind, match: BlockMatch, host: string, client: string): void {
    if (client === this.probeClient) return;
    this.recordRequest(kind, 'blocked');
    this.recordBlock(match, host, client);
  }

  recordBlock(match: BlockMatch, host: string, client: string): void {
    this.topSink?.offerBlocked(host, client);
    let byGroup = this.pending.get(match.rule);
    if (byGroup === undefined) {
      byGroup = new Map();
      this.pending.set(match.rule, byGroup);
    }
    byGroup.set(match.group, (byGroup.get(match.group) ?? 0) + 1);
  }

  request(kind: ProxyKind, result: ProxyResult): number {
    return this.counts[KIND_INDEX[kind] * PROXY_RESULTS.length + RESULT_INDEX[result]];
  }

  /** `${kind}|${result}` → count, every pair (zeros included, so a dashboard sees each series). */
  get requests(): Map<string, number> {
    const out = new Map<string, number>();
    for (const k of PROXY_KINDS) for (const r of PROXY_RESULTS) out.set(`${k}|${r}`, this.request(k, r));
    return out;
  }

  /**
   * `${app}|${category}|${group}` → count. Reading folds the per-rule counts into label keys, so the
   * rules of a replaced policy snapshot are not kept alive by the counters.
   */
  get blocked(): Map<string, number> {
    const pending = this.pending;
    this.pending = new Map();
    for (const [rule, byGroup] of pending) {
      for (const [group, n] of byGroup) {
        const key = `${rule.app}|${rule.category}|${group}`;
        this.folded.set(key, (this.folded.get(key) ?? 0) + n);
      }
    }
    return this.folded;
  }
}
