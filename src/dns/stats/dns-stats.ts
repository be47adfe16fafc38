// Hot-path counters of the resolver. StatsResolver calls `record` once per answered query; the
// numbers live in typed arrays and plain objects and are turned into Prometheus series only when
// scraped (./metrics.ts). prom-client's labelled `inc` costs ~200 ns and `observe` ~380 ns (measured
// here); the work below is three table reads, a typed-array increment, a short bucket scan and, for
// blocked queries only, the last block's cell (else three Map reads) and two O(1) top-k updates.
// Measured: `record` ~100 ns per query, of which ~95 ns is the one performance.now() call the
// duration needs; FastHistogram.observe ~11 ns against ~620 ns for a labelled prom-client observe in
// the same run.
import { RESULTS, type DnsAnswer, type DnsQuery, type Protocol, type Result } from '../resolver.ts';
import { FastHistogram } from '../../metrics/fast-histogram.ts';
import { WindowedTopK } from '../../metrics/windowed-top-k.ts';
import { PROTOCOL_INDEX, PROTOCOLS, QTYPE_INDEX, QTYPES, RESULT_INDEX } from './labels.ts';

const NQ = QTYPES.length;
const NR = RESULTS.length;

/** A count that a Map can hold by reference, so an increment needs no Map write. */
interface Cell {
  n: number;
}

export class DnsStats {
  /** [protocol][qtype][result] flattened: banwall_dns_queries_total. */
  readonly queries = new Float64Array(PROTOCOLS.length * NQ * NR);
  /** One per result, in RESULTS order: banwall_dns_request_duration_seconds. */
  readonly durations: readonly FastHistogram[] = RESULTS.map(() => new FastHistogram());
  /** app → category → group → count: banwall_dns_blocked_total. */
  readonly blocked = new Map<string, Map<string, Map<string, Cell>>>();
  /** app → category → group → count: banwall_dns_monitored_total (lists in monitor mode). */
  readonly monitored = new Map<string, Map<string, Map<string, Cell>>>();
  /** Blocked names and the clients that asked for them, over the last 15 minutes (GET /api/top). */
  readonly topBlockedNames = new WindowedTopK(100, 15);
  readonly topBlockedClients = new WindowedTopK(100, 15);
  /** The cell of the last block counted and its labels: blocks come in runs from one list and group,
   *  so three identity compares usually replace three Map reads. */
  private lastApp = '';
  private lastCategory = '';
  private lastGroup = '';
  private lastCell: Cell | null = null;

  /** Called once per answered query by StatsResolver. Allocates nothing for allowed queries. */
  record(query: DnsQuery, answer: DnsAnswer): void {
    const r = RESULT_INDEX[answer.result];
    this.queries[(PROTOCOL_INDEX[query.protocol] * NQ + QTYPE_INDEX[query.qtype]) * NR + r]++;
    this.durations[r].observe((performance.now() - query.received) / 1000);
    const block = answer.block;
    if (block !== undefined) {
      const rule = block.rule;
      const last = this.lastCell;
      if (
        last !== null &&
        rule.app === this.lastApp &&
        rule.category === this.lastCategory &&
        block.group === this.lastGroup
      ) {
        last.n++;
      } else {
        const c = this.cell(this.blocked, rule.app, rule.category, block.group);
        c.n++;
        this.lastApp = rule.app;
        this.lastCategory = rule.category;
        this.lastGroup = block.group;
        this.lastCell = c;
      }
      this.topBlockedNames.offer(query.name, query.received);
      this.topBlockedClients.offer(query.client, query.received);
    } else if (answer.monitor !== undefined) {
      const m = answer.monitor;
      this.cell(this.monitored, m.rule.app, m.rule.category, m.group).n++;
    }
  }

  /** A block seen outside the resolver (the proxy): into the same top-k, counted nowhere else. */
  offerBlocked(name: string, client: string): void {
    const now = performance.now();
    this.topBlockedNames.offer(name, now);
    this.topBlockedClients.offer(client, now);
  }

  /**
   * For answers the front end gives without asking the chain (FORMERR for an unparseable query,
   * BADVERS, a TCP connection over its cap): counted in banwall_dns_queries_total, without duration.
   * `qtype` is 0 when the question could not be read (counted as `other`).
   */
  recordFrontend(protocol: Protocol, result: Result, qtype: number): void {
    this.queries[(PROTOCOL_INDEX[protocol] * NQ + QTYPE_INDEX[qtype & 0xffff]) * NR + RESULT_INDEX[result]]++;
  }

  /** Total of banwall_dns_queries_total for one result, across protocols and types (tests, status). */
  total(result: Result): number {
    const r = RESULT_INDEX[result];
    let sum = 0;
    for (let i = r; i < this.queries.length; i += NR) sum += this.queries[i];
    return sum;
  }

  private cell(
    counts: Map<string, Map<string, Map<string, Cell>>>,
    app: string,
    category: string,
    group: string,
  ): Cell {
    let byCategory = counts.get(app);
    if (byCategory === undefined) counts.set(app, (byCategory = new Map()));
    let byGroup = byCategory.get(category);
    if (byGroup === undefined) byCategory.set(category, (byGroup = new Map()));
    let c = byGroup.get(group);
    if (c === undefined) byGroup.set(group, (c = { n: 0 }));
    return c;
  }
}
