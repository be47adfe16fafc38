// The packed name table: every name rule of every list as a 53-bit hash, sorted in one Float64Array
// with a parallel array of entry ids and their flags; entry ids are numbered list after list, and the
// table keeps each entry's line. All of it lives in one buffer of 8-byte-aligned sections (a
// `NameBlock`): built in the compile worker at a reload and shared with the main thread, or read from
// the policy snapshot file and used in place.
//
// Why not a Set<string>: the anchors of this field spend 30–300 bytes per name; here a name costs
// 8 + 4 (sorted key, id and flags) + 4 (line) = 16 bytes and no string at all (between reloads the
// lists' own line arrays are views of the table's, and their keys and flags are taken back out of it
// when the next table is built), plus a bucket index with a filter in each bucket (name-index.ts,
// 1 MB at 1 M names). Lookup reads one bucket record per label of the queried name and, when its
// filter does not rule the suffix out, searches that bucket: O(labels × log n), no allocation.
// Measured by bench/policy-load.ts (1,000,000 generated names, this 2-core machine, shared and
// loaded): 17 MB of typed arrays kept, lookup 0.35–0.5 µs for a listed name's subdomain and 0.15–0.25
// µs for an unlisted one; bench/name-search.ts compares the search with the tree before the filter.
import { crc32 } from 'node:zlib';
import { resetHash, pushChar, hiOf, loOf, type HashState } from './name-hash.ts';
import { RECORD_WORDS, bucketBits, bucketShift } from './name-index.ts';
import { sortInto } from './name-sort.ts';

/** Entry flags. */
export const EXACT = 1; // `=name`, `|name^`: that name only
export const SUBONLY = 2; // `*.name`: subdomains only
export const ALLOW = 4; // `@@||name^`, or a name in an allow source
/** `NameTable.ent` holds entry id × 8 + flags: the flags are its low 3 bits. */
export const FLAG_BITS = 3;
export const FLAG_MASK = (1 << FLAG_BITS) - 1;
/** Entry ids a table can number (29 bits, with the flags beside them in 32). */
const MAX_ENTRIES = 2 ** (32 - FLAG_BITS);

const EMPTY: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
const EMPTY_FLAGS: Uint8Array<ArrayBufferLike> = new Uint8Array(0);

/** Collects the names of one list while it is parsed; no string is kept. */
export class NameBuilder {
  count = 0;
  hi: Uint32Array<ArrayBufferLike> = new Uint32Array(1024);
  lo: Uint32Array<ArrayBufferLike> = new Uint32Array(1024);
  line: Uint32Array<ArrayBufferLike> = new Uint32Array(1024);
  flags: Uint8Array<ArrayBufferLike> = new Uint8Array(1024);
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
    this.push(hiOf(h, len), loOf(h, len), flags, line);
    return labels;
  }

  /** Adds a name already hashed (parse/list-bytes.ts hashes it from the file's bytes). */
  push(hi: number, lo: number, flags: number, line: number): void {
    if (this.count === this.hi.length) this.grow();
    const i = this.count++;
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.line[i] = line;
    this.flags[i] = flags;
  }

  /**
   * Room for `n` names in all, taken at once: a 1 M-name list grown by doubling from 1,024 copied its
   * arrays ten times (61 ms of a 1.1 s parse in `--cpu-prof`, 7 Dec 2026).
   */
  reserve(n: number): void {
    if (n > this.hi.length) this.resize(n);
  }

  /**
   * The table that holds this list's keys while `hi`/`lo` are released (see `bind`): the keys are
   * taken back from it when the next table is built. Saves 8 bytes a name between reloads.
   */
  keysIn: { table: NameTable; part: number } | null = null;

  /**
   * Hands the names over to `table` (part `part`), which holds them sorted: the keys are freed here,
   * lines become a view of the table's array (no second copy); the flags live beside the table's entry
   * ids (`NameTable.ent`) and are freed here too.
   */
  bind(table: NameTable, part: number): void {
    const s = table.starts[part];
    const e = table.starts[part + 1];
    this.keysIn = { table, part };
    this.hi = EMPTY;
    this.lo = EMPTY;
    this.line = table.lines.subarray(s, e);
    this.flags = EMPTY_FLAGS;
  }

  /** What a table build needs of this list: its arrays, or where an earlier table holds them. */
  part(): NamePart {
    if (this.keysIn !== null) return { kind: 'old', block: this.keysIn.table.block, part: this.keysIn.part };
    const n = this.count;
    const { hi, lo, line, flags } = this;
    return {
      kind: 'arrays',
      count: n,
      hi: hi.subarray(0, n),
      lo: lo.subarray(0, n),
      line: line.subarray(0, n),
      flags: flags.subarray(0, n),
    };
  }

  /**
   * Drops the spare capacity once the list is parsed (kept while no table holds its names), unless it
   * is at most an eighth: a list parsed from a file was reserved at its size (parse/list-bytes.ts),
   * and copying 1 M names' arrays only to trim 6 % cost 40–48 ms of a start (fresh pages).
   */
  shrink(): void {
    const n = this.count;
    if (this.keysIn !== null || this.hi.length - n <= n >>> 3) return;
    this.hi = this.hi.slice(0, n);
    this.lo = this.lo.slice(0, n);
    this.line = this.line.slice(0, n);
    this.flags = this.flags.slice(0, n);
  }

  private grow(): void {
    this.resize(Math.max(1024, this.hi.length * 2));
  }

  private resize(size: number): void {
    const n = this.count;
    const copy = (a: Uint32Array) => {
      const b = new Uint32Array(size);
      b.set(a.subarray(0, n));
      return b;
    };
    this.hi = copy(this.hi);
    this.lo = copy(this.lo);
    this.line = copy(this.line);
    const flags = new Uint8Array(size);
    flags.set(this.flags.subarray(0, n));
    this.flags = flags;
  }
}

/** Where a table's arrays live: one buffer (shared with the build worker), sections 8-byte aligned. */
export interface NameBlock {
  readonly buffer: ArrayBufferLike;
  /** Byte offset of the first section (the snapshot file's header comes before it). */
  readonly offset: number;
  /** Names in the table. */
  readonly size: number;
  /** Lists (parts) in the table. */
  readonly lists: number;
  /** CRC-32 of the block's bytes (for the snapshot file), computed where the block was built. */
  readonly crc: number;
}

/** One list's names for a table build: fresh arrays, or part `part` of an earlier table's block. */
export type NamePart =
  | {
      readonly kind: 'arrays';
      readonly count: number;
      readonly hi: Uint32Array;
      readonly lo: Uint32Array;
      readonly line: Uint32Array;
      readonly flags: Uint8Array;
    }
  | { readonly kind: 'old'; readonly block: NameBlock; readonly part: number };

export type NameArraysPart = Extract<NamePart, { kind: 'arrays' }>;

const align8 = (n: number) => (n + 7) & ~7;

/**
 * Byte offsets of a block's sections, relative to its offset: keys (f64), entry ids, lines, the
 * bucket index (name-index.ts: a record of start and filter bits per bucket, the bucket count fixed
 * by the size) and part starts (u32). Every section starts 8-byte aligned, so the arrays
 * are views of the buffer as read from disk: no copy and no per-entry work at start.
 */
export function blockLayout(size: number, lists: number) {
  const bits = bucketBits(size);
  const keys = 0;
  const ent = keys + size * 8;
  const lines = align8(ent + size * 4);
  const index = align8(lines + size * 4);
  const starts = align8(index + ((1 << bits) + 1) * RECORD_WORDS * 4);
  return { bits, keys, ent, lines, index, starts, bytes: align8(starts + (lists + 1) * 4) };
}

/** Every list's names merged and sorted by key. Immutable once built. */
export class NameTable {
  readonly block: NameBlock;
  readonly size: number;
  /**
   * Sorted keys, hi × 2^32 + lo (53 bits, exact in a double): one array and one comparison per probe,
   * so a probe touches one cache line instead of two.
   */
  readonly keys: Float64Array;
  /**
   * At each sorted position, its entry id × 8 + its flags (`FLAG_BITS`): a search reads both in one
   * load. Read by entry id from an array of their own, the flags were one more dependent cache miss
   * per listed name (9 % of `searchName`'s samples in the blocked profile) and 1 MB at 1 M names.
   */
  readonly ent: Uint32Array;
  /**
   * One record per bucket of the key's top `bucketBits` bits, plus one whose start is `size`
   * (name-index.ts): [sorted position where the bucket starts, three words of filter bits]. A lookup
   * searches one bucket (~15 keys at 1 M names, one or two cache lines) instead of the whole table
   * (20 dependent cache misses per label made a lookup at 1 M names cost microseconds), and only
   * when the record's filter does not rule the key out.
   */
  readonly index: Uint32Array;
  /** Buckets in the index (a power of two) and the shift from a key's high half to its bucket. */
  readonly buckets: number;
  readonly shift: number;
  /** Entry ids are numbered list after list: part i (list i) holds ids [starts[i], starts[i + 1]). */
  readonly starts: Uint32Array;
  /** 1-based line of each entry id (the lists' own arrays are views of it). */
  readonly lines: Uint32Array;

  /** Views of a block built by `buildNameBlock` or read from a policy snapshot file. */
  constructor(block: NameBlock) {
    const { buffer, offset, size, lists } = block;
    const l = blockLayout(size, lists);
    this.block = block;
    this.size = size;
    this.keys = new Float64Array(buffer, offset + l.keys, size);
    this.ent = new Uint32Array(buffer, offset + l.ent, size);
    this.lines = new Uint32Array(buffer, offset + l.lines, size);
    this.buckets = 1 << l.bits;
    this.shift = bucketShift(l.bits);
    this.index = new Uint32Array(buffer, offset + l.index, (this.buckets + 1) * RECORD_WORDS);
    this.starts = new Uint32Array(buffer, offset + l.starts, lists + 1);
  }

  /** Builds the table of `builders` here, on this thread (small policies, `banwall check`). */
  static build(builders: readonly NameBuilder[]): NameTable {
    const table = new NameTable(buildNameBlock(builders.map((b) => b.part())));
    table.bindAll(builders);
    return table;
  }

  /** After a build: every list hands its names over to this table (`NameBuilder.bind`). */
  bindAll(builders: readonly NameBuilder[]): void {
    builders.forEach((b, i) => b.bind(this, i));
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
}

/**
 * Builds the sorted table of `parts` (in list order) into one new buffer: shared memory when this
 * runtime has it, so the build worker hands it over without a copy. Pure: runs in the worker
 * (src/policy/worker) or, for small policies and the first load, on the main thread.
 */
export function buildNameBlock(parts: readonly NamePart[]): NameBlock {
  const arrays = takeOldParts(parts);
  let n = 0;
  for (const a of arrays) n += a.count;
  const lists = parts.length;
  if (n >= MAX_ENTRIES) throw new Error(`name table: ${n} names, more than ${MAX_ENTRIES - 1}`);
  const l = blockLayout(n, lists);
  const buffer =
    typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(l.bytes) : new ArrayBuffer(l.bytes);
  const t = new NameTable({ buffer, offset: 0, size: n, lists, crc: 0 });
  let o = 0;
  arrays.forEach((a, i) => {
    t.lines.set(a.line.subarray(0, a.count), o);
    t.starts[i] = o;
    o += a.count;
  });
  t.starts[lists] = o;
  sortInto(arrays, { keys: t.keys, ent: t.ent, index: t.index }, l.bits, FLAG_MASK + 1);
  // Computed here, in the worker at a reload: 17 MB at 1 M names is a few ms the resolver keeps.
  const crc = crc32(new Uint8Array(buffer, 0, l.bytes));
  return { buffer, offset: 0, size: n, lists, crc };
}

/** Fresh arrays for every part, the `old` ones taken back out of their tables (one pass a table). */
function takeOldParts(parts: readonly NamePart[]): NameArraysPart[] {
  const out = new Array<NameArraysPart>(parts.length);
  const byBlock = new Map<ArrayBufferLike, { block: NameBlock; want: Map<number, number> }>();
  parts.forEach((p, i) => {
    if (p.kind === 'arrays') out[i] = p;
    else {
      let g = byBlock.get(p.block.buffer);
      if (!g) byBlock.set(p.block.buffer, (g = { block: p.block, want: new Map() }));
      g.want.set(p.part, i);
    }
  });
  for (const { block, want } of byBlock.values()) {
    const t = new NameTable(block);
    for (const [part, i] of want) {
      const s = t.starts[part];
      const count = t.starts[part + 1] - s;
      out[i] = {
        kind: 'arrays',
        count,
        hi: new Uint32Array(count),
        lo: new Uint32Array(count),
        line: t.lines.subarray(s, s + count),
        flags: new Uint8Array(count),
      };
    }
    for (let p = 0; p < t.size; p++) {
      const e = t.ent[p] >>> FLAG_BITS;
      const part = t.listOf(e);
      const i = want.get(part);
      if (i === undefined) continue;
      const a = out[i];
      const hi = Math.floor(t.keys[p] / 4294967296);
      a.hi[e - t.starts[part]] = hi;
      a.lo[e - t.starts[part]] = t.keys[p] - hi * 4294967296;
      a.flags[e - t.starts[part]] = t.ent[p] & FLAG_MASK;
    }
  }
  return out;
}
