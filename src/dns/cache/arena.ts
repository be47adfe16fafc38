// The packet cache's memory: answers as wire bytes in ArrayBuffer slabs written as a log, with
// per-entry bookkeeping in typed arrays indexed by slot number and a hash table from key to slot.
//
// Why not lru-cache holding one object per answer (the first version): bench/cache-memory.ts measured
// 1,120-2,104 B of RSS per one-A answer (1,102 B of heap: entry object, Buffer + backing store,
// Uint16Array, facts, key, lru-cache's slots) for a 56-byte wire. Here an entry is its record in a
// slab (16-byte header, 2 bytes per TTL offset, the key, the wire, padding to 4), 45 B of typed-array
// columns and two hash-table buckets, and no JS object at all. Measured (bench/cache-memory.ts,
// 100,000 one-A answers of 56 B in a cache sized for them): 1-2 B of heap and 105 B of slab per
// entry, 161 B with the index: 105 B beyond the answer's own bytes (bench/README.md has the RSS).
//
// Why a hand-written index (open addressing in an Int32Array, keys as bytes in the slab records)
// rather than lru-cache (11.5.3) or a Map<string, number>: measured with 100,000 keys looked up in a
// scattered order (this machine under load, two runs each), lru-cache's get() cost 603-1,155 ns,
// Map.get 147-228 ns; lru-cache held 73 B of heap per entry, the Map 37 B plus the key string. A
// whole cache hit in-process (10,000 names in turn, the bench's hit set) costs 103-107 ns with this
// index against 153-311 ns with the Map and the query's key string, measured back to back. And
// any string key lives on the V8 heap among each query's garbage: bench/cache-memory.ts with V8's
// default young generation measured 583 B of heap *committed* per entry for 87 B used (the pages the
// surviving keys pin). Here the key is the query's DO/CD bits, type, class and name bytes, hashed
// (FNV-1a) as they are copied into a reused scratch buffer: no string is built per query and the
// index holds no JS object. Recency is kept the way CLOCK does it: a hit sets a bit; when the oldest
// slab is reclaimed, entries hit since they were written move forward (their bit cleared), the
// others go.
//
// Reclaiming compacts the oldest slab in place (live records slide to its front with copyWithin) and
// makes it the slab being written: no fragmentation, no free lists, no per-answer objects. A slot's
// `gen` changes whenever its bytes move or are replaced: views handed out earlier (./hit-answers.ts)
// are checked against it. Views of the slabs are only valid until the next insert, which is why hit
// answers are consumed synchronously by the front end and stale answers are copied out.

import { randomBytes } from 'node:crypto';
/** Bytes per entry besides its slab record: 45 B of columns and 8 B of hash table (2 buckets). */
export const INDEX_OVERHEAD = 56;
/**
 * Record header: slot (u32), record length (u32), wire length (u16), TTL offset count (u16), key
 * length (u16), padding; then the TTL offsets, the key bytes, the wire.
 */
const HEADER = 16;
/** A key: flags, type, class (5 bytes) and the name (lower-cased by the parser, one byte a char). */
const KEY_MAX = 5 + 1100;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const MAX_SLAB = 128 * 1024;
const MIN_SLAB = 512;

const HOT = 1;
const REFRESHING = 2;
const LIVE = 4;

/** The cache key's parts, as a query has them. */
export interface KeyParts {
  readonly name: string;
  readonly qtype: number;
  readonly qclass: number;
  readonly doBit: boolean;
  readonly cd: boolean;
}

export class PacketArena {
  /** Entries at most: `maxEntries`, and as many as `maxBytes` can index at ~INDEX_OVERHEAD + 64 B. */
  readonly maxEntries: number;
  readonly slabSize: number;
  readonly maxSlabs: number;
  private readonly serveStaleMs: number;

  // Slot columns, allocated at full size: zeroed memory the kernel maps only once a page is written,
  // so an idle cache costs no RSS, and nothing is ever copied to grow (doubling left the old arrays
  // in malloc's heap: +64 B of RSS per entry in bench/cache-memory.ts).
  readonly storedAt: Float64Array;
  readonly retryAfter: Float64Array;
  readonly ttl: Uint32Array;
  readonly hits: Uint32Array;
  readonly gen: Uint32Array;
  private readonly flags: Uint8Array;
  private readonly slabOf: Int32Array;
  private readonly offOf: Int32Array;
  private readonly hashOf: Uint32Array;
  private readonly freeSlots: Int32Array;
  private entryCount = 0;
  /** Open addressing, linear probing: slot + 1 per bucket, 0 = empty; at most half full. */
  private readonly table: Int32Array;
  private readonly mask: number;
  /** The key being looked up or stored, and its hash: written by loadKey, no allocation. */
  private readonly key = Buffer.alloc(KEY_MAX);
  private keyLen = 0;
  private keyHash = 0;
  /**
   * A random start for the hash, per process, as V8 seeds its own Map hashing: clients choose the
   * names, and without a secret one could pick names that all land in one probe run.
   */
  private readonly seed = (FNV_OFFSET ^ randomBytes(4).readUInt32LE(0)) >>> 0;
  private freeCount = 0;
  private slotCount = 0;

  private readonly slabs: Buffer[] = [];
  private readonly u16: Uint16Array[] = [];
  private readonly u32: Uint32Array[] = [];
  private readonly fill: number[] = [];
  /** Slab numbers in write order: order[orderHead] is the oldest, the last is being written. */
  private readonly order: Int32Array;
  private orderHead = 0;
  private orderLen = 0;
  private liveBytes = 0;

  constructor(maxBytes: number, maxEntries: number, serveStaleMs: number) {
    this.maxEntries = Math.max(1, Math.min(maxEntries, Math.floor(maxBytes / (INDEX_OVERHEAD + 64))));
    const budget = Math.max(2 * MIN_SLAB, maxBytes - this.maxEntries * INDEX_OVERHEAD);
    this.slabSize = Math.min(MAX_SLAB, Math.max(MIN_SLAB, Math.floor(budget / 4) & ~3));
    this.maxSlabs = Math.max(2, Math.floor(budget / this.slabSize));
    this.order = new Int32Array(this.maxSlabs);
    const n = this.maxEntries;
    this.storedAt = new Float64Array(n);
    this.retryAfter = new Float64Array(n);
    this.ttl = new Uint32Array(n);
    this.hits = new Uint32Array(n);
    this.gen = new Uint32Array(n);
    this.flags = new Uint8Array(n);
    this.slabOf = new Int32Array(n);
    this.offOf = new Int32Array(n);
    this.freeSlots = new Int32Array(n);
    this.hashOf = new Uint32Array(n);
    let buckets = 16;
    while (buckets < 2 * n) buckets *= 2;
    this.table = new Int32Array(buckets);
    this.mask = buckets - 1;
    this.serveStaleMs = serveStaleMs;
  }

  get entries(): number {
    return this.entryCount;
  }

  /** Memory held: the slabs allocated plus the index, as measured per entry. */
  get bytes(): number {
    return this.slabs.length * this.slabSize + this.entryCount * INDEX_OVERHEAD;
  }

  /** The slot holding the answer for `q`, or -1. */
  lookup(q: KeyParts): number {
    return this.loadKey(q) ? this.find() : -1;
  }

  /** Copies `q`'s key into the scratch buffer, hashing as it goes; false if it cannot be a key. */
  private loadKey(q: KeyParts): boolean {
    const k = this.key;
    const name = q.name;
    const n = name.length;
    if (n + 5 > KEY_MAX) return false;
    k[0] = (q.doBit ? 1 : 0) | (q.cd ? 2 : 0);
    k[1] = q.qtype >>> 8;
    k[2] = q.qtype & 0xff;
    k[3] = q.qclass >>> 8;
    k[4] = q.qclass & 0xff;
    let h = this.seed;
    for (let i = 0; i < 5; i++) h = Math.imul(h ^ k[i], FNV_PRIME);
    for (let i = 0; i < n; i++) {
      const c = name.charCodeAt(i);
      if (c > 0xff) return false;
      k[5 + i] = c;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    this.keyLen = n + 5;
    this.keyHash = h >>> 0;
    return true;
  }

  /** The slot whose stored key equals the loaded one, or -1. */
  private find(): number {
    const hash = this.keyHash;
    const len = this.keyLen;
    const k = this.key;
    for (let pos = hash & this.mask; ; pos = (pos + 1) & this.mask) {
      const v = this.table[pos];
      if (v === 0) return -1;
      const s = v - 1;
      if (this.hashOf[s] !== hash) continue;
      const slab = this.slabOf[s];
      const off = this.offOf[s];
      const u16 = this.u16[slab];
      if (u16[(off >> 1) + 6] !== len) continue;
      const buf = this.slabs[slab];
      let at = off + HEADER + 2 * u16[(off >> 1) + 5];
      let i = 0;
      while (i < len && buf[at] === k[i]) {
        at++;
        i++;
      }
      if (i === len) return s;
    }
  }

  private tableAdd(slot: number, hash: number): void {
    let pos = hash & this.mask;
    while (this.table[pos] !== 0) pos = (pos + 1) & this.mask;
    this.table[pos] = slot + 1;
  }

  /** Removes `slot` from the table, shifting back what probed past it (no tombstones). */
  private tableRemove(slot: number): void {
    const mask = this.mask;
    const t = this.table;
    let i = this.hashOf[slot] & mask;
    while (t[i] !== slot + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const v = t[j];
      if (v === 0) break;
      const home = this.hashOf[v - 1] & mask;
      // The entry at j may move to i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      t[i] = v;
      i = j;
    }
    t[i] = 0;
  }

  markHot(slot: number): void {
    this.flags[slot] |= HOT;
  }

  isRefreshing(slot: number): boolean {
    return (this.flags[slot] & REFRESHING) !== 0;
  }

  setRefreshing(slot: number, on: boolean): void {
    this.flags[slot] = on ? this.flags[slot] | REFRESHING : this.flags[slot] & ~REFRESHING;
  }

  /** The stored wire of `slot`: a view into a slab, valid until the next insert. */
  wire(slot: number): Buffer {
    const slab = this.slabOf[slot];
    const off = this.offOf[slot];
    const u16 = this.u16[slab];
    const start = off + HEADER + 2 * u16[(off >> 1) + 5] + u16[(off >> 1) + 6];
    return this.slabs[slab].subarray(start, start + u16[(off >> 1) + 4]);
  }

  /** The TTL offsets of `slot`'s wire: a view into a slab, valid until the next insert. */
  ttlOffsets(slot: number): Uint16Array {
    const slab = this.slabOf[slot];
    const off = this.offOf[slot];
    const u16 = this.u16[slab];
    const first = (off + HEADER) >> 1;
    return u16.subarray(first, first + u16[(off >> 1) + 5]);
  }

  /**
   * Stores `wire` (and its TTL offsets, each TTL clamped to [minTtl, maxTtl] in the copy) under `q`'s
   * key, replacing what the key held. Returns the slot, or -1 when it cannot be kept.
   */
  insert(
    q: KeyParts,
    wire: Buffer,
    offsets: Uint16Array | undefined,
    storedAt: number,
    ttl: number,
    minTtl: number,
    maxTtl: number,
  ): number {
    if (!this.loadKey(q)) return -1;
    const n = offsets === undefined ? 0 : offsets.length;
    const keyLen = this.keyLen;
    const len = (HEADER + 2 * n + keyLen + wire.length + 3) & ~3;
    if (len > this.slabSize >> 1 || wire.length > 0xffff) return -1;
    const old = this.find();
    if (old < 0 && this.freeCount === 0 && this.slotCount >= this.maxEntries) {
      for (let i = 0; this.freeCount === 0 && i <= 2 * this.orderLen + 1; i++) this.reclaim(storedAt, false);
      if (this.freeCount === 0) return -1;
    }
    if (!this.makeRoom(len, storedAt)) return -1;
    let slot = this.find(); // the reclaim above may have evicted it
    if (slot >= 0) {
      this.liveBytes -= this.recordLen(slot);
    } else {
      slot = this.takeSlot();
      this.hashOf[slot] = this.keyHash;
      this.tableAdd(slot, this.keyHash);
      this.entryCount++;
    }
    const slab = this.order[(this.orderHead + this.orderLen - 1) % this.maxSlabs];
    const off = this.fill[slab];
    const buf = this.slabs[slab];
    const u16 = this.u16[slab];
    const u32 = this.u32[slab];
    u32[off >> 2] = slot;
    u32[(off >> 2) + 1] = len;
    u16[(off >> 1) + 4] = wire.length;
    u16[(off >> 1) + 5] = n;
    u16[(off >> 1) + 6] = keyLen;
    this.key.copy(buf, off + HEADER + 2 * n, 0, keyLen);
    const start = off + HEADER + 2 * n + keyLen;
    wire.copy(buf, start);
    for (let i = 0; i < n; i++) {
      const o = offsets![i];
      u16[((off + HEADER) >> 1) + i] = o;
      if (o + 4 > wire.length) continue;
      const t = wire.readUInt32BE(o);
      const c = t < minTtl ? minTtl : t > maxTtl ? maxTtl : t;
      if (c !== t) buf.writeUInt32BE(c, start + o);
    }
    this.fill[slab] = off + len;
    this.liveBytes += len;
    this.slabOf[slot] = slab;
    this.offOf[slot] = off;
    this.storedAt[slot] = storedAt;
    this.ttl[slot] = ttl;
    this.hits[slot] = 0;
    this.retryAfter[slot] = 0;
    this.flags[slot] = LIVE;
    this.gen[slot]++;
    return slot;
  }

  /** Drops the entry in `slot` (from lookup). */
  remove(slot: number): void {
    if ((this.flags[slot] & LIVE) !== 0) this.evict(slot);
  }

  clear(): void {
    this.table.fill(0);
    this.flags.fill(0);
    this.entryCount = 0;
    this.freeCount = 0;
    this.slotCount = 0;
    for (let i = 0; i < this.gen.length; i++) this.gen[i]++;
    for (let i = 0; i < this.orderLen; i++) this.fill[this.order[(this.orderHead + i) % this.maxSlabs]] = 0;
    this.liveBytes = 0;
  }

  /** Makes `len` bytes free at the end of the slab being written. */
  private makeRoom(len: number, now: number): boolean {
    for (let attempt = 0; attempt <= 2 * this.maxSlabs + 2; attempt++) {
      if (this.orderLen > 0) {
        const tail = this.order[(this.orderHead + this.orderLen - 1) % this.maxSlabs];
        if (this.fill[tail] + len <= this.slabSize) return true;
      }
      const allocated = this.slabs.length;
      // A log keeps writing forward: when most of what is written is dead (replaced or expired),
      // compact before taking more memory.
      const mostlyDead = allocated >= 2 && this.liveBytes < (allocated * this.slabSize) >> 1;
      if (allocated < this.maxSlabs && (!mostlyDead || attempt > 0)) this.addSlab();
      else this.reclaim(now, attempt === 0 && mostlyDead);
    }
    return false;
  }

  private addSlab(): void {
    const ab = new ArrayBuffer(this.slabSize);
    const n = this.slabs.length;
    this.slabs.push(Buffer.from(ab));
    this.u16.push(new Uint16Array(ab));
    this.u32.push(new Uint32Array(ab));
    this.fill.push(0);
    this.order[(this.orderHead + this.orderLen) % this.maxSlabs] = n;
    this.orderLen++;
  }

  /**
   * Compacts the oldest slab in place and makes it the one being written. Kept: every live entry
   * still inside its serve-stale window when `keepAll`, else only those hit since written (CLOCK).
   */
  private reclaim(now: number, keepAll: boolean): void {
    const slab = this.order[this.orderHead];
    const u32 = this.u32[slab];
    const buf = this.slabs[slab];
    const end = this.fill[slab];
    let dst = 0;
    for (let off = 0; off < end;) {
      const slot = u32[off >> 2];
      const len = u32[(off >> 2) + 1];
      if (this.slabOf[slot] === slab && this.offOf[slot] === off && (this.flags[slot] & LIVE) !== 0) {
        const usable = now < this.storedAt[slot] + this.ttl[slot] * 1000 + this.serveStaleMs;
        if (usable && (keepAll || (this.flags[slot] & HOT) !== 0)) {
          if (dst !== off) buf.copyWithin(dst, off, off + len);
          this.offOf[slot] = dst;
          this.flags[slot] &= ~HOT;
          this.gen[slot]++;
          dst += len;
        } else {
          this.evict(slot);
        }
      }
      off += len;
    }
    this.fill[slab] = dst;
    if (this.orderLen > 1) {
      this.orderHead = (this.orderHead + 1) % this.maxSlabs;
      this.order[(this.orderHead + this.orderLen - 1) % this.maxSlabs] = slab;
    }
  }

  private evict(slot: number): void {
    this.tableRemove(slot);
    this.flags[slot] = 0;
    this.entryCount--;
    this.liveBytes -= this.recordLen(slot);
    this.gen[slot]++;
    this.freeSlots[this.freeCount++] = slot;
  }

  private recordLen(slot: number): number {
    return this.u32[this.slabOf[slot]][(this.offOf[slot] >> 2) + 1];
  }

  private takeSlot(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount];
    return this.slotCount++;
  }
}
