// CIDR table for IP rules and client groups. IPv4: for each prefix length present, a sorted
// Uint32Array of networks (binary search, so 100 k /32 rules cost no more than 30); IPv6: a short
// linear scan (lists carry a handful of IPv6 rules). Lookups write matching entry ids into a
// caller's Int32Array: no allocation on the answer path.
import { parseIpv4, parseIpv6, parseCidr, maskV4, mappedV4 } from './ip-parse.ts';

interface V4Level {
  prefix: number;
  nets: Uint32Array;
  ids: Int32Array;
}

export class IpTable {
  /** Per entry id: its prefix length (IPv4 entries count 0–32, IPv6 0–128). */
  readonly prefixOf: number[] = [];
  readonly size: number;
  private readonly v4: V4Level[] = [];
  private readonly v6Words: Uint32Array;
  private readonly v6Prefix: number[] = [];
  private readonly v6Ids: number[] = [];
  private readonly scratch = new Uint32Array(4);

  /** `cidrs[i]` becomes entry id i; invalid ones are skipped (validate them before). */
  constructor(cidrs: readonly string[]) {
    this.size = cidrs.length;
    const byLen = new Map<number, { net: number; id: number }[]>();
    const v6: { w: Uint32Array; prefix: number; id: number }[] = [];
    cidrs.forEach((text, id) => {
      const c = parseCidr(text);
      this.prefixOf[id] = c?.prefix ?? -1;
      if (!c) return;
      if (c.family === 4) {
        let a = byLen.get(c.prefix);
        if (!a) byLen.set(c.prefix, (a = []));
        a.push({ net: c.v4, id });
      } else v6.push({ w: c.v6, prefix: c.prefix, id });
    });
    for (const [prefix, a] of [...byLen].sort((x, y) => y[0] - x[0])) {
      a.sort((x, y) => x.net - y.net);
      this.v4.push({
        prefix,
        nets: Uint32Array.from(a, (e) => e.net),
        ids: Int32Array.from(a, (e) => e.id),
      });
    }
    this.v6Words = new Uint32Array(v6.length * 4);
    v6.forEach((e, i) => {
      this.v6Words.set(e.w, i * 4);
      this.v6Prefix.push(e.prefix);
      this.v6Ids.push(e.id);
    });
  }

  /** Writes the ids of every entry containing `addr` into `out` (most specific first for IPv4). */
  collect(addr: string, out: Int32Array): number {
    const v4 = parseIpv4(addr);
    if (v4 >= 0) return this.collectV4(v4, out);
    const w = this.scratch;
    if (!parseIpv6(addr, w)) return 0;
    const mapped = mappedV4(w);
    if (mapped >= 0) return this.collectV4(mapped, out);
    let n = 0;
    const words = this.v6Words;
    for (let e = 0; e < this.v6Ids.length && n < out.length; e++) {
      const prefix = this.v6Prefix[e];
      let ok = true;
      for (let i = 0; i < 4 && ok; i++) {
        const bits = prefix - i * 32;
        if (bits <= 0) break;
        const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
        ok = (w[i] & mask) >>> 0 === words[e * 4 + i];
      }
      if (ok) out[n++] = this.v6Ids[e];
    }
    return n;
  }

  private collectV4(v: number, out: Int32Array): number {
    let n = 0;
    for (const level of this.v4) {
      const net = maskV4(v, level.prefix);
      const nets = level.nets;
      let a = 0;
      let b = nets.length;
      while (a < b) {
        const m = (a + b) >>> 1;
        if (nets[m] < net) a = m + 1;
        else b = m;
      }
      while (a < nets.length && nets[a] === net && n < out.length) out[n++] = level.ids[a++];
    }
    return n;
  }
}
