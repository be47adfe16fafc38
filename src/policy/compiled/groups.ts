// Client groups: which lists apply to a client, chosen by the most specific CIDR that contains it.
// Clients in no group get `default`; without a configured `default`, every list applies to them.
import { IpTable } from '../match/ip-table.ts';
import type { ListMeta } from './list-meta.ts';

export interface GroupSpec {
  readonly name: string;
  readonly clients: readonly string[];
  readonly lists: readonly string[];
  readonly allow?: readonly string[];
}

/** Client → group index memo, bounded (cleared when full) so a scan of addresses cannot grow it. */
const MEMO_MAX = 65_536;

export class Groups {
  readonly names: string[] = [];
  /** Per group, per list index: 1 when the list (or allow source) applies. */
  readonly applies: Uint8Array[] = [];
  /**
   * Per group: `applies` without the lists in monitor mode, the mask every enforcing decision uses.
   * The very same arrays as `applies` when no list is monitored.
   */
  readonly enforced: Uint8Array[] = [];
  /** Whether any list is in monitor mode (else the monitored searches return at once). */
  readonly monitoring: boolean;
  readonly defaultIndex: number;
  private readonly table: IpTable;
  private readonly entryGroup: number[] = [];
  private readonly memo = new Map<string, number>();
  private readonly found = new Int32Array(64);

  constructor(specs: readonly GroupSpec[], lists: readonly ListMeta[]) {
    const cidrs: string[] = [];
    let def = specs.findIndex((g) => g.name === 'default');
    const all = specs.slice();
    if (def < 0) {
      all.push({
        name: 'default',
        clients: [],
        lists: lists.filter((l) => !l.allowSource).map((l) => l.name),
      });
      def = all.length - 1;
    }
    all.forEach((g, gi) => {
      this.names.push(g.name);
      const applies = new Uint8Array(lists.length);
      lists.forEach((l, li) => {
        if (l.allowSource) applies[li] = g.allow === undefined || g.allow.includes(l.name) ? 1 : 0;
        else applies[li] = g.lists.includes(l.name) ? 1 : 0;
      });
      this.applies.push(applies);
      const enforced = lists.some((l) => l.monitor)
        ? applies.map((a, li) => (lists[li].monitor ? 0 : a))
        : applies;
      this.enforced.push(enforced);
      for (const c of g.clients) {
        cidrs.push(c);
        this.entryGroup.push(gi);
      }
    });
    this.defaultIndex = def;
    this.monitoring = lists.some((l) => l.monitor);
    this.table = new IpTable(cidrs);
  }

  /** Index of the most specific group containing `client`. */
  indexOf(client: string): number {
    if (this.table.size === 0) return this.defaultIndex;
    const memo = this.memo.get(client);
    if (memo !== undefined) return memo;
    const n = this.table.collect(client, this.found);
    let best = this.defaultIndex;
    let bestPrefix = -1;
    for (let i = 0; i < n; i++) {
      const e = this.found[i];
      const p = this.table.prefixOf[e];
      if (p > bestPrefix) {
        bestPrefix = p;
        best = this.entryGroup[e];
      }
    }
    if (this.memo.size >= MEMO_MAX) this.memo.clear();
    this.memo.set(client, best);
    return best;
  }
}
