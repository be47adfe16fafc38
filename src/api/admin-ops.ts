// What the HTTP listener may ask of the running application: a short list of operations, implemented
// by the composition root (src/app.ts). The API sees answers, never a part: no cache, resolver chain,
// stats object or policy store crosses this line, so a part can change inside without the API noticing.
import type { ServerResponse } from 'node:http';
import type { Config } from '../config/schema.ts';
import type { Result } from '../dns/resolver.ts';
import type { UpstreamHealth } from '../dns/upstream/upstream-resolver.ts';
import type { PolicySnapshot } from '../policy/snapshot.ts';
import type { ListStatus } from '../policy/refresher.ts';
import type { EventFilter, EventPage, SummaryKey } from '../events/search.ts';
import type { CanaryStatus } from '../canary/canaries.ts';
import type { ExplainInput } from '../explain/input.ts';
import type { LiveJudgement } from '../explain/live.ts';

export interface ReloadResult {
  readonly ok: boolean;
  readonly generation: number;
  readonly errors: readonly string[];
  /** Per list of the config that was compiled: rules loaded and lines skipped as not rules. */
  readonly lists?: readonly { readonly name: string; readonly entries: number; readonly badLines: number }[];
}

export interface TopEntry {
  readonly key: string;
  /** Space-Saving estimate: the true count lies in [count - error, count]. */
  readonly count: number;
  readonly error: number;
}

export interface TopBlocked {
  readonly windowMinutes: number;
  readonly names: readonly TopEntry[];
  readonly clients: readonly TopEntry[];
}

export interface AdminOps {
  readonly version: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** The config in force (the last one that loaded). */
  config(): Config;
  /** The policy snapshot serving now (read-only; `explain` asks it). */
  readonly policy: { readonly current: PolicySnapshot };
  /** Every list of the snapshot serving now, with its live refresh state. */
  lists(): readonly ListStatus[];
  /** Every upstream, main and forward-zone, with its health as the active probes see it. */
  upstreams(): readonly UpstreamHealth[];
  cacheSize(): { readonly entries: number; readonly bytes: number };
  /** Answered queries by result since start. */
  queryTotals(): Readonly<Record<Result, number>>;
  /** The DNS UDP path in this process (`dns.batchedIo`): the addon or node:dgram; null without DNS. */
  dnsUdpIo?(): 'batched' | 'dgram' | null;
  /** The longest window `topBlocked` can cover, in minutes. */
  readonly topWindowMinutes: number;
  /** The blocked names (DNS and proxy) and the clients that asked, highest first. */
  topBlocked(n: number, minutes: number): TopBlocked;
  /** Empties the DNS cache; says what it held. */
  flushCache(): { readonly entries: number; readonly bytes: number };
  /** `actor`: who asked (a token id, `signal`, `watch`), for the audit log. */
  reload(reason: string, actor?: string): Promise<ReloadResult>;
  /** Whether events are kept in the store (searches answer 404 otherwise). */
  eventStoreEnabled(): boolean;
  searchEvents(filter: EventFilter): EventPage;
  summarizeEvents(by: SummaryKey, filter: EventFilter): { key: string; count: number; last: number }[];
  /** Makes `res` a Server-Sent Events stream of new blocks; false when the feed is full. */
  attachEventStream(res: ServerResponse): boolean;
  /** The newest audit entries, newest first; null when the audit log is off. */
  auditTail(n: number): unknown[] | null;
  /** The canaries' state and failing probes (src/canary); null when they are off. */
  canaryStatus?(): CanaryStatus | null;
  /** The proxy's bound listen addresses, for the PAC file. */
  proxyAddresses(): { host: string; port: number }[];
  /** GET /api/explain?resolve=1: the upstreams' answer for `input` (below the cache), judged as the
   *  resolver judges it (src/explain/live.ts). */
  explainLive(input: ExplainInput): Promise<LiveJudgement>;
}
