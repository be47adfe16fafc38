// The packed name table: every name rule of every list as a 53-bit hash, sorted in one Float64Array
// with a parallel array of entry ids; entry ids are numbered list after list, and each list keeps its
// own line and flag arrays.
//
// Why not a Set<string>: the anchors of this field spend 30–300 bytes per name; here a name costs
// 8 + 4 (sorted key and id) + 4 + 1 (line, flags) = 17 bytes and no string at all (between reloads
// the lists hand their key arrays to the table; they get them back when the next table is built).
// Lookup is a binary search inside one hash bucket per label of the queried name: O(labels × log n),
// no allocation. Measured by bench/policy-load.ts (1,000,000 generated names, this 2-core machine,
// shared and loaded): parse + compile 1.1–1.3 s, from the compiled copy 0.26–0.33 s, 17 MB of typed
// arrays kept, lookup 1.1–1.3 µs for a listed name and 0.2–0.5 µs for an unlisted one.
import { resetHash, pushChar, hiOf, loOf, type HashState } from './name-hash.ts';

/** Entry flags. */
export const EXACT = 1; // `=name`, `|name^`: that name only
export const SUBONLY = 2; // `*.name`: subdomains only
export const ALLOW = 4; // `@@||name^`, or a name in an allow source

const EMPTY = new Uint32Array(0);

/** Collects the names of one list while it is parsed; no string is kept. */
export class NameBuilder {
  count = 0;
  hi = new Uint32Array(1024);
  lo = new Uint32Array(1024);
  line = new Uint32Array(1024);
  flags = new Uint8Array(1024);
  private readonly h: HashState = { a: 0, b: 0 };

  /**
   * Adds text[start, end) as a name (lower-cased, one trailing dot ignored). Returns its number of
   * labels, or 0, adding nothing, when it is not a valid host name (labels of letters, digits, `-`,
   * `_`, 1–63 long, ≤ 253).
   */
  add(text: string, start: number, end: number, flags: number, line: number): number {
    if (end > start && text.charCodeAt(end - 1) === 46) end--;
    const len = end - start;
    if (len <= 0 || len > 253) return 0;
    const h = this.h;
    resetHash(h);
    let label = 0;
    let labels = 1;
    for (let i = end - 1; i >= start; i--) {
      const c = text.charCodeAt(i);
      if (c === 46) {
        if (label === 0) return 0;
        label = 0;
        labels++;
      } else if (
        (c >= 97 && c <= 122) ||
        (c >= 48 && c <= 57) ||
        c === 45 ||
        c === 95 ||
        (c >= 65 && c <= 90)
      ) {
        if (++label > 63) return 0;
      } else {
        return 0;
      }
      pushChar(h, c);
    }
    if (label === 0) return 0;
    if (this.count === this.hi.length) this.grow();
    const i = this.count++;
    this.hi[i] = hiOf(h, len);
    this.lo[i] = loOf(h, len);
    this.line[i] = line;
    this.flags[i] = flags;
    return labels;
  }

  /**
   * The table that holds this list's keys while `hi`/`lo` are released (see `release`): the keys
   * are restored from it when the next table is built. Saves 8 bytes a name between reloads.
   */
  keysIn: { table: NameTable; part: number } | null = null;

  /** Hands the keys over to `table` (which holds them sorted) and frees this copy. */
  release(table: NameTable, part: number): void {
    if (this.count === 0) return;
    this.keysIn = { table, part };
    this.hi = EMPTY;
    this.lo = EMPTY;
  }

  /** Drops the spare capacity once the list is parsed (kept between reloads, so worth trimming). */
  shrink(): void {
    const n = this.count;
    this.hi = this.hi.slice(0, n);
    this.lo = this.lo.slice(0, n);
    this.line = this.line.slice(0, n);
    this.flags = this.flags.slice(0, n);
  }

  private grow(): void {
    const n = this.hi.length * 2;
    const hi = new Uint32Array(n);
    hi.set(this.hi);
    this.hi = hi;
    const lo = new Uint32Array(n);
    lo.set(this.lo);
    this.lo = lo;
    const line = new Uint32Array(n);
    line.set(this.line);
    this.line = line;
    const flags = new Uint8Array(n);
    flags.set(this.flags);
    this.flags = flags;
  }
}

/** Every list's names merged and sorted by key. Immutable once built. */
export class NameTable {
  readonly size: number;
  /**
   * Sorted keys, hi × 2^32 + lo (53 bits, exact in a double): one array and one comparison per probe,
   * so a probe touches one cache line instead of two.
   */
  readonly keys: Float64Array;
  /** Entry id at each sorted position. */
  readonly ent: Uint32Array;
  /**
   * Sorted positions where each bucket of the top 16 key bits starts (65,537 entries): a lookup
   * binary-searches one bucket (~15 keys at 1 M names, one or two cache lines) instead of the whole
   * table; 20 dependent cache misses per label made a lookup at 1 M names cost microseconds.
   */
  readonly bucket: Uint32Array;
  /**
   * Entry ids are numbered list after list: part i (list i) holds ids [starts[i], starts[i + 1]).
   * Lines and flags stay in the lists' own arrays instead of being copied (7 bytes a name saved).
   */
  readonly starts: Uint32Array;
  private readonly lines: Uint32Array[] = [];
  private readonly flagArrays: Uint8Array[] = [];

  constructor(parts: readonly { builder: NameBuilder; list: number }[]) {
    restoreKeys(parts.map((p) => p.builder));
    let n = 0;
    for (const p of parts) n += p.builder.count;
    this.size = n;
    const hi = new Uint32Array(n);
    const lo = new Uint32Array(n);
    const ent = new Uint32Array(n);
    this.starts = new Uint32Array(parts.length + 1);
    let o = 0;
    parts.forEach(({ builder: b, list }, i) => {
      if (list !== i) throw new Error('name table parts must be given in list order');
      hi.set(b.hi.subarray(0, b.count), o);
      lo.set(b.lo.subarray(0, b.count), o);
      this.lines.push(b.line);
      this.flagArrays.push(b.flags);
      this.starts[i] = o;
      o += b.count;
    });
    this.starts[parts.length] = o;
    for (let i = 0; i < n; i++) ent[i] = i;
    const sorted = radixSort(hi, lo, ent);
    this.keys = new Float64Array(n);
    for (let i = 0; i < n; i++) this.keys[i] = sorted.hi[i] * 4294967296 + sorted.lo[i];
    this.ent = sorted.ent;
    this.bucket = sorted.start;
    parts.forEach((p, i) => p.builder.release(this, i));
  }

  /** The list (part) of entry `e`: the last part starting at or before it (empty parts share starts). */
  listOf(e: number): number {
    const starts = this.starts;
    let a = 0;
    let b = starts.length - 1;
    while (b - a > 1) {
      const m = (a + b) >>> 1;
      if (starts[m] <= e) a = m;
      else b = m;
    }
    return a;
  }

  /** Flags of entry `e` in list `list`. */
  flagsOf(e: number, list: number): number {
    return this.flagArrays[list][e - this.starts[list]];
  }

  /** 1-based line of entry `e` in list `list`. */
  lineOf(e: number, list: number): number {
    return this.lines[list][e - this.starts[list]];
  }
}

/** Gives released builders their keys back, one pass over each table that holds some of them. */
function restoreKeys(builders: readonly NameBuilder[]): void {
  const byTable = new Map<NameTable, Map<number, NameBuilder>>();
  for (const b of builders) {
    if (b.keysIn === null) continue;
    let parts = byTable.get(b.keysIn.table);
    if (!parts) byTable.set(b.keysIn.table, (parts = new Map()));
    parts.set(b.keysIn.part, b);
    b.hi = new Uint32Array(b.count);
    b.lo = new Uint32Array(b.count);
  }
  for (const [table, parts] of byTable) {
    const { keys, ent, starts } = table;
    for (let p = 0; p < table.size; p++) {
      const e = ent[p];
      const part = table.listOf(e);
      const b = parts.get(part);
      if (b === undefined) continue;
      const i = e - starts[part];
      const hi = Math.floor(keys[p] / 4294967296);
      b.hi[i] = hi;
      b.lo[i] = keys[p] - hi * 4294967296;
    }
  }
  for (const b of builders) b.keysIn = null;
}

/**
 * Sorts (hi, lo) keys with their payload: one counting pass on the top 16 bits of the (uniform)
 * hash into 65,536 buckets, then an insertion sort inside each bucket (about 15 entries per bucket
 * at 1 M names, all in cache). Measured on this machine under load, 1 M entries: 142 ms, against
 * 433 ms for a 4-pass LSD radix sort and over a second for a comparator sort of index pairs.
 */
function radixSort(
  hi: Uint32Array,
  lo: Uint32Array,
  ent: Uint32Array,
): { hi: Uint32Array; lo: Uint32Array; ent: Uint32Array; start: Uint32Array } {
  const n = hi.length;
  const th = new Uint32Array(n);
  const tl = new Uint32Array(n);
  const te = new Uint32Array(n);
  const B = 1 << 16;
  const start = new Uint32Array(B + 1);
  for (let i = 0; i < n; i++) start[(hi[i] >>> 5) + 1]++;
  for (let d = 0; d < B; d++) start[d + 1] += start[d];
  const pos = start.slice(0, B);
  for (let i = 0; i < n; i++) {
    const j = pos[hi[i] >>> 5]++;
    th[j] = hi[i];
    tl[j] = lo[i];
    te[j] = ent[i];
  }
  for (let d = 0; d < B; d++) {
    const a = start[d];
    const b = start[d + 1];
    if (b - a > 256) sortRange(th, tl, te, a, b);
    else {
      for (let i = a + 1; i < b; i++) {
        const h = th[i];
        const l = tl[i];
        const e = te[i];
        let j = i - 1;
        while (j >= a && (th[j] > h || (th[j] === h && tl[j] > l))) {
          th[j + 1] = th[j];
          tl[j + 1] = tl[j];
          te[j + 1] = te[j];
          j--;
        }
        th[j + 1] = h;
        tl[j + 1] = l;
        te[j + 1] = e;
      }
    }
  }
  return { hi: th, lo: tl, ent: te, start };
}

/** A crowded bucket (many copies of one name): a comparator sort keeps it O(k log k). */
function sortRange(th: Uint32Array, tl: Uint32Array, te: Uint32Array, a: number, b: number): void {
  const idx = Array.from({ length: b - a }, (_, i) => a + i);
  idx.sort((x, y) => th[x] - th[y] || tl[x] - tl[y]);
  const h = idx.map((i) => th[i]);
  const l = idx.map((i) => tl[i]);
  const e = idx.map((i) => te[i]);
  th.set(h, a);
  tl.set(l, a);
  te.set(e, a);
}
