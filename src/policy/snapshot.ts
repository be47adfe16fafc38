// The compiled policy as its consumers see it: the resolver's blocking link, the proxy, `explain`,
// the admin API and the firewall export all ask one PolicySnapshot. A reload compiles a new snapshot
// off the serving path and swaps it in (PolicyStore); a snapshot never changes after it is built.

export const CATEGORIES = ['app-store', 'download', 'update', 'telemetry', 'core', 'bypass'] as const;
export type Category = (typeof CATEGORIES)[number];

export const BLOCK_ACTIONS = ['nxdomain', 'nodata', 'refused', 'null', 'sinkhole'] as const;
export type BlockActionKind = (typeof BLOCK_ACTIONS)[number];

export interface BlockAction {
  readonly kind: BlockActionKind;
  /** For `sinkhole`: the addresses to answer with (IPv4 for A, IPv6 for AAAA). */
  readonly addresses?: readonly string[];
}

/** One rule of one list: where it came from and what it means. Shared, never allocated per lookup. */
export interface RuleRef {
  readonly list: string;
  readonly app: string;
  readonly category: Category;
  /** The file or URL the rule was read from, and its 1-based line. */
  readonly source: string;
  readonly line: number;
  /** The rule as written in the list. */
  readonly rule: string;
  /** The answer to give; the snapshot fills in the list's or the global default. */
  readonly action: BlockAction;
  /** Set when the rule's list is in monitor (dry-run) mode: it would block, but does not. */
  readonly monitor?: boolean;
}

/** A block decision: the rule that matched and the client group it was judged in. */
export interface BlockMatch {
  readonly rule: RuleRef;
  readonly group: string;
}

/** The parts of an HTTP request the URL rules look at. `host` is lower-case without port or dot. */
export interface UrlTarget {
  readonly host: string;
  /** The path as sent, percent-encoded, without the query. */
  readonly path: string;
  /** The query string without the leading '?', or ''. */
  readonly query: string;
}

/** Everything `banwall explain` prints: the decision and every rule that matched. */
export interface Explanation {
  readonly name: string;
  readonly client: string;
  readonly group: string;
  readonly blocked: boolean;
  /** The rule that decides, when blocked. */
  readonly decidingRule?: RuleRef;
  /** Every block rule that matched the name, in any list the group applies. */
  readonly blockRules: readonly RuleRef[];
  /** Every allow rule that matched; when non-empty the name is allowed. */
  readonly allowRules: readonly RuleRef[];
  /** When not blocked: the rule of a monitored list that would block if that list were enforced. */
  readonly wouldBlock?: RuleRef;
}

export interface ListSummary {
  readonly name: string;
  readonly app: string;
  readonly category: Category;
  readonly source: string;
  readonly entries: number;
  /** Lines skipped as not rules (all counted). */
  readonly badLines: number;
  /** `refresh` interval in ms for remote lists, 0 otherwise. Live state: `PolicyStore.refresher.health()`. */
  readonly refreshInterval: number;
  /** `monitor` when the list is in dry-run mode (absent: enforced). */
  readonly mode?: 'monitor';
}

export interface PolicySnapshot {
  /** Increases by one with every swap; caches compare it to know their entries are current. */
  readonly generation: number;
  /** The most specific client group of an address. */
  groupOf(client: string): string;
  /** Hot path: the block decision for a DNS name, or null when allowed. Allocation-free when allowed. */
  matchName(name: string, client: string): BlockMatch | null;
  /** The block decision for an IP address (answer IPs, CONNECT to IP literals). */
  matchIp(address: string, client: string): BlockMatch | null;
  /** The block decision for a plain-HTTP request: host rules first, then URL rules. */
  matchUrl(target: UrlTarget, client: string): BlockMatch | null;
  /**
   * Whether a block URL rule naming this host (`url HOST …` / `url =HOST …`, not `url * …`) is in a
   * list the client's group enforces: the proxy decrypts CONNECTs to such hosts (proxy.intercept).
   */
  hasUrlRules(host: string, client: string): boolean;
  /**
   * Monitor (dry-run) mode. Asked only after the matching `match*` gave null: the match a list in
   * monitor mode would have made, by the same decision code with the monitored lists included, or
   * null. Null at once (no allocation) when no list is monitored. Optional for snapshots without
   * monitor mode (test doubles); absent means never.
   */
  monitoredName?(name: string, client: string): BlockMatch | null;
  monitoredIp?(address: string, client: string): BlockMatch | null;
  monitoredUrl?(target: UrlTarget, client: string): BlockMatch | null;
  /**
   * The decision `matchName` makes for `name` (`matchIp` for an IP literal; `matchUrl` when `target`
   * is given, `name` being its host), made by the same code, with every rule it passed.
   */
  explain(name: string, client: string, target?: UrlTarget): Explanation;
  lists(): readonly ListSummary[];
  /** Every IP/CIDR rule of the lists (for the firewall export). */
  ipRules(): readonly { readonly cidr: string; readonly rule: RuleRef }[];
}
