// The packet cache's memory: answers as wire bytes in ArrayBuffer slabs written as a log, with
// per-entry bookkeeping in typed arrays indexed by slot number and a Map from key to slot.
//
// Why not lru-cache holding one object per answer (the first version): bench/cache-memory.ts measured
// 2,375 B of RSS per one-A answer (1,105 B of heap: entry object, Buffer + backing store, Uint16Array,
// facts, key, lru-cache's slots) for a 54-byte wire. Here an entry is its record in a slab (12-byte
// header, 2 bytes per TTL offset, the wire, padding to 4) plus 49 B of typed-array columns, one Map
// entry and its key string. Measured (bench/cache-memory.ts, 100,000 one-A answers of 56 B, node
// --max-semi-space-size=1 so that the young generation's size does not swamp the figure): 194 B of RSS
// per entry, 87 B of it heap, 73 B slab; 138 B of overhead beyond the answer's own bytes (was 1,064).
//
// Why a Map<string, number> index rather than lru-cache (11.5.3) as the key -> slot index: measured
// with 100,000 keys looked up in a scattered order (node --expose-gc, this machine under load, two
// runs each), lru-cache's get() cost 603-1,155 ns against Map.get's 147-228 ns (it moves the entry
// to the head of its recency list on every hit), and it held 73 B of heap per entry against the
// Map's 37. Its LRU order would also fight the log order the slabs are reclaimed in. Recency is kept
// the way CLOCK does it instead: a hit sets a bit; when the oldest slab is reclaimed, entries hit
// since they were written move forward (their bit cleared), the others go.
//
// Reclaiming compacts the oldest slab in place (live records slide to its front with copyWithin) and
// makes it the slab being written: no fragmentation, no free lists, no per-answer objects. A slot's
// `gen` changes whenever its bytes move or are replaced: views handed out earlier (../cache/memo.ts)
// are checked against it. Views of the slabs are only valid until the next insert, which is why hit
// answers are consumed synchronously by the front end and stale answers are copied out.

/** Bytes per entry besides its slab record (87 B heap + 49 B columns, bench/cache-memory.ts). */
export const INDEX_OVERHEAD = 140;
/** Record header: slot (u32), record length (u32), wire length (u16), TTL offset count (u16). */
const HEADER = 12;
const MAX_SLAB = 128 * 1024;
const MIN_SLAB = 512;

const HOT = 1;
const REFRESHING = 2;

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
  private readonly keys: (string | undefined)[] = [];
  private readonly freeSlots: Int32Array;
  private freeCount = 0;
  private slotCount = 0;

  private readonly index = new Map<string, number>();
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
    this.serveStaleMs = serveStaleMs;
  }

  get entries(): number {
    return this.index.size;
  }

  /** Memory held: the slabs allocated plus the index, as measured per entry. */
  get bytes(): number {
    return this.slabs.length * this.slabSize + this.index.size * INDEX_OVERHEAD;
  }

  /** The slot holding `key`, or -1. */
  lookup(key: string): number {
    const s = this.index.get(key);
    return s === undefined ? -1 : s;
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
    const start = off + HEADER + 2 * u16[(off >> 1) + 5];
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
   * Stores `wire` (and its TTL offsets, each TTL clamped to [minTtl, maxTtl] in the copy) under `key`,
   * replacing what the key held. Returns the slot, or -1 when the answer is too large to keep.
   */
  insert(
    key: string,
    wire: Buffer,
    offsets: Uint16Array | undefined,
    storedAt: number,
    ttl: number,
    minTtl: number,
    maxTtl: number,
  ): number {
    const n = offsets === undefined ? 0 : offsets.length;
    const len = (HEADER + 2 * n + wire.length + 3) & ~3;
    if (len > this.slabSize >> 1 || wire.length > 0xffff) return -1;
    const old = this.index.get(key);
    if (old === undefined && this.freeCount === 0 && this.slotCount >= this.maxEntries) {
      for (let i = 0; this.freeCount === 0 && i <= 2 * this.orderLen + 1; i++) this.reclaim(storedAt, false);
      if (this.freeCount === 0) return -1;
    }
    if (!this.makeRoom(len, storedAt)) return -1;
    let slot = this.index.get(key); // the reclaim above may have evicted it
    if (slot !== undefined) {
      this.liveBytes -= this.recordLen(slot);
    } else {
      slot = this.takeSlot();
      // The key as one flat string: the query's key is a rope over the name string and its parts.
      // bench/cache-memory.ts: 143 -> 87 B of heap per entry, for 0.2-0.9 µs per insert (measured,
      // 1 M keys) on a miss that costs ~60 µs.
      const flat = Buffer.from(key, 'utf8').toString('utf8');
      this.index.set(flat, slot);
      this.keys[slot] = flat;
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
    const start = off + HEADER + 2 * n;
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
    this.flags[slot] = 0;
    this.gen[slot]++;
    return slot;
  }

  delete(key: string): void {
    const slot = this.index.get(key);
    if (slot !== undefined) this.evict(slot);
  }

  clear(): void {
    this.index.clear();
    this.keys.length = 0;
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
      if (this.slabOf[slot] === slab && this.offOf[slot] === off && this.keys[slot] !== undefined) {
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
    const key = this.keys[slot]!;
    this.index.delete(key);
    this.keys[slot] = undefined;
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
