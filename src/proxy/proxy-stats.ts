// Counters of the proxy, kept as plain numbers on the request path and published by
// src/proxy/metrics.ts as banwall_proxy_requests_total{kind,result} and
// banwall_proxy_blocked_total{app,category,group} and banwall_proxy_monitored_total{app,category,group}
// (requests a list in monitor mode would have refused, forwarded).
//
// A request costs one typed-array increment, a block two Map lookups keyed by objects the policy
// already holds (no string built per request); labels are assembled only when someone reads them.
import type { BlockMatch, RuleRef } from '../policy/snapshot.ts';
import { ruleFields, type PolicyEvent } from '../events/event.ts';

/** What the proxy refused, for the event every sink records (store, query-log file, streams). */
export interface ProxyBlock {
  /** The host judged: the request's host, the CONNECT target, or the ClientHello's SNI. */
  readonly host: string;
  readonly client: string;
  readonly kind: ProxyKind;
  /** Plain HTTP: host and path as requested; CONNECT: `host:port`, with `sni → target` when they differ. */
  readonly target: string;
  /** The request method (GET, CONNECT). */
  readonly method: string;
  /** The status the client got (403), or 0 when the tunnel was closed after the ClientHello. */
  readonly status: number;
  /** The proxy's Basic-auth user, or ''. */
  readonly identity: string;
  /** performance.now() when the request arrived (now, when not known). */
  readonly started?: number;
  /** The tunnel was decrypted to judge the URL (selective interception). */
  readonly intercepted?: boolean;
}

/** `https`: a request judged inside an intercepted (decrypted) CONNECT tunnel (proxy.intercept). */
export const PROXY_KINDS = ['http', 'connect', 'https'] as const;
export type ProxyKind = (typeof PROXY_KINDS)[number];

/**
 * allowed: forwarded or tunnelled; blocked: refused by the policy; denied: client outside
 * allowedClients, failed authentication, or a port outside connectPorts/httpPorts; limited: over the
 * per-client or total connection cap; badrequest: malformed, oversized or smuggling-shaped requests;
 * error: the upstream could not be resolved, reached or timed out.
 */
export const PROXY_RESULTS = ['allowed', 'blocked', 'denied', 'limited', 'badrequest', 'error'] as const;
export type ProxyResult = (typeof PROXY_RESULTS)[number];

const KIND_INDEX: Record<ProxyKind, number> = { http: 0, connect: 1, https: 2 };

/**
 * Why a host is intercepted: `url-rules` (a URL rule of the client's group names it, the default) or
 * `configured` (listed in proxy.intercept.hosts).
 */
export const INTERCEPT_CLASSES = ['url-rules', 'configured'] as const;
export type InterceptClass = (typeof INTERCEPT_CLASSES)[number];

/**
 * What became of a CONNECT to an intercepted host. intercepted: the origin's certificate verified and
 * the client completed TLS with a minted leaf; untrusted: the origin's certificate did not verify,
 * refused with 502 and nothing minted; client-refused: the client abandoned the handshake with the
 * minted leaf (banwall's CA not installed, or an app that pins its certificates); mismatch: the
 * ClientHello named another host than the CONNECT; error: the origin could not be reached or did not
 * finish its handshake, or the leaf could not be minted.
 */
export const INTERCEPT_RESULTS = ['intercepted', 'untrusted', 'client-refused', 'mismatch', 'error'] as const;
export type InterceptResult = (typeof INTERCEPT_RESULTS)[number];

const CLASS_INDEX: Record<InterceptClass, number> = { 'url-rules': 0, configured: 1 };
const IRESULT_INDEX = Object.fromEntries(INTERCEPT_RESULTS.map((r, i) => [r, i])) as Record<
  InterceptResult,
  number
>;

const RESULT_INDEX = Object.fromEntries(PROXY_RESULTS.map((r, i) => [r, i])) as Record<ProxyResult, number>;

export class ProxyStats {
  private readonly counts = new Float64Array(PROXY_KINDS.length * PROXY_RESULTS.length);
  /** Blocks not yet folded into `folded`, per rule and group. */
  private pending = new Map<RuleRef, Map<string, number>>();
  private readonly folded = new Map<string, number>();
  /** The same for matches of lists in monitor mode. */
  private pendingMonitored = new Map<RuleRef, Map<string, number>>();
  private readonly foldedMonitored = new Map<string, number>();
  /** Client connections open now (HTTP and tunnels). */
  openConnections = 0;
  /** Tunnels open now. */
  openTunnels = 0;
  private readonly intercepts = new Float64Array(INTERCEPT_CLASSES.length * INTERCEPT_RESULTS.length);
  /** Leaf certificates signed since start, and held in the leaf cache now (proxy.intercept). */
  leavesMinted = 0;
  leavesCached = 0;

  recordRequest(kind: ProxyKind, result: ProxyResult): void {
    this.counts[KIND_INDEX[kind] * PROXY_RESULTS.length + RESULT_INDEX[result]]++;
  }

  /**
   * Where blocked hosts and clients go for `GET /api/top` (the resolver's top-k, so one list shows
   * what DNS and the proxy refused); given by the app. Hosts and clients are never metric labels.
   */
  topSink: { offerBlocked(name: string, client: string): void } | null;

  /** Where proxy events go (the app's event pipeline); null records none. */
  private readonly events: { offer(e: PolicyEvent): void } | null;

  constructor(
    topSink: { offerBlocked(name: string, client: string): void } | null = null,
    events: { offer(e: PolicyEvent): void } | null = null,
  ) {
    this.topSink = topSink;
    this.events = events;
  }

  recordIntercept(cls: InterceptClass, result: InterceptResult): void {
    this.intercepts[CLASS_INDEX[cls] * INTERCEPT_RESULTS.length + IRESULT_INDEX[result]]++;
  }

  intercept(cls: InterceptClass, result: InterceptResult): number {
    return this.intercepts[CLASS_INDEX[cls] * INTERCEPT_RESULTS.length + IRESULT_INDEX[result]];
  }

  /**
   * The canaries' source address (src/canary): its requests are probes, not client traffic, and
   * `recordBlocked` leaves them out of every counter, the top lists and the events. Set by the app.
   */
  probeClient: string | null = null;

  /** A policy block: banwall_proxy_requests_total{result="blocked"}, the blocked counter, the top lists, the event. */
  recordBlocked(match: BlockMatch, b: ProxyBlock): void {
    if (b.client === this.probeClient) return;
    this.recordRequest(b.kind, 'blocked');
    this.recordBlock(match, b);
  }

  recordBlock(match: BlockMatch, b: ProxyBlock): void {
    this.topSink?.offerBlocked(b.host, b.client);
    this.record(match, b, 'blocked', this.pending);
  }

  /**
   * A match of a list in monitor (dry-run) mode on a request that goes on (forwarded or tunnelled):
   * banwall_proxy_monitored_total and a `monitored` event; not a block, so not in the top lists.
   */
  recordMonitored(match: BlockMatch, b: ProxyBlock): void {
    if (b.client === this.probeClient) return;
    this.record(match, b, 'monitored', this.pendingMonitored);
  }

  private record(
    match: BlockMatch,
    b: ProxyBlock,
    decision: 'blocked' | 'monitored',
    pending: Map<RuleRef, Map<string, number>>,
  ): void {
    const started = b.started;
    // The handlers judge a request in the tick it arrived and pass no start: the wall clock then, and
    // no performance.now(), which the profile of a blocked request put at 3-4 µs a call (issue 17.5).
    const durationMs = started === undefined ? 0 : Math.round((performance.now() - started) * 1000) / 1000;
    this.events?.offer({
      time: started === undefined ? Date.now() : performance.timeOrigin + started,
      client: b.client,
      identity: b.identity,
      layer: 'proxy',
      protocol: b.kind,
      target: b.target,
      kind: b.method,
      decision,
      ...ruleFields(match),
      answer: decision === 'monitored' ? 'forwarded' : b.status === 0 ? 'closed' : String(b.status),
      durationMs,
      intercepted: b.intercepted === true,
    });
    let byGroup = pending.get(match.rule);
    if (byGroup === undefined) {
      byGroup = new Map();
      pending.set(match.rule, byGroup);
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
    return fold(pending, this.folded);
  }

  /** `${app}|${category}|${group}` → count of monitored matches, folded like `blocked`. */
  get monitored(): Map<string, number> {
    const pending = this.pendingMonitored;
    this.pendingMonitored = new Map();
    return fold(pending, this.foldedMonitored);
  }
}

function fold(pending: Map<RuleRef, Map<string, number>>, folded: Map<string, number>): Map<string, number> {
  for (const [rule, byGroup] of pending) {
    for (const [group, n] of byGroup) {
      const key = `${rule.app}|${rule.category}|${group}`;
      folded.set(key, (folded.get(key) ?? 0) + n);
    }
  }
  return folded;
}
