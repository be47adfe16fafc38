// Queries in flight on one transport, by DNS ID. IDs are random (from a crypto pool, so an off-path
// spoofer cannot predict them) and never reuse an ID still in flight. Expiry needs no timer per
// query: every entry of a transport has the same timeout, so send order is expiry order and one FIFO
// ring, swept by one timer, finds what expired in O(expired). Measured here (1 M add+remove, shared
// 2-core machine): 150–250 ns per query, against 1.0–2.6 µs for a Map plus a setTimeout/clearTimeout
// per query.
import { randomFillSync } from 'node:crypto';
import type { Exchange } from './exchange.ts';

const SLOTS = 65536;
/** Ring of IDs in send order; answered entries linger in it until they reach the head or a compaction. */
const RING = 1 << 17;
const MAX_IN_FLIGHT = 60_000; // keep free IDs easy to find
const EMPTY_F64 = new Float64Array(0);
const EMPTY_U32 = new Uint32Array(0);
const EMPTY_U16 = new Uint16Array(0);

export class PendingTable {
  readonly timeoutMs: number;
  // ~2 MB per transport, allocated on the first query: forward-zone and TC-fallback transports that
  // are never used cost nothing.
  private exchanges: (Exchange | undefined)[] = [];
  private sentAt = EMPTY_F64;
  /** Bumped each time a slot is taken, so a stale ring entry for a reused ID is recognised. */
  private seq = EMPTY_U32;
  private ringId = EMPTY_U16;
  private ringSeq = EMPTY_U32;
  private ringHead = 0;
  private ringLen = 0;
  private readonly random = new Uint16Array(1024);
  private randomPos = 1024;
  private timer: NodeJS.Timeout | null = null;
  private readonly onExpire: (ex: Exchange, id: number) => void;
  size = 0;

  constructor(timeoutMs: number, onExpire: (ex: Exchange, id: number) => void) {
    this.timeoutMs = timeoutMs;
    this.onExpire = onExpire;
  }

  /** Takes a free random ID for `ex`; -1 when the table is full. */
  add(ex: Exchange, now: number): number {
    if (this.size >= MAX_IN_FLIGHT) return -1;
    if (this.sentAt.length === 0) this.allocate();
    if (this.ringLen === RING) this.compact();
    let id: number;
    do {
      if (this.randomPos === this.random.length) {
        randomFillSync(this.random);
        this.randomPos = 0;
      }
      id = this.random[this.randomPos++];
    } while (this.exchanges[id] !== undefined);
    this.exchanges[id] = ex;
    this.sentAt[id] = now;
    const s = (this.seq[id] + 1) >>> 0;
    this.seq[id] = s;
    const tail = (this.ringHead + this.ringLen) & (RING - 1);
    this.ringId[tail] = id;
    this.ringSeq[tail] = s;
    this.ringLen++;
    this.size++;
    if (this.timer === null) this.arm();
    return id;
  }

  private allocate(): void {
    this.exchanges = new Array<Exchange | undefined>(SLOTS);
    this.sentAt = new Float64Array(SLOTS);
    this.seq = new Uint32Array(SLOTS);
    this.ringId = new Uint16Array(RING);
    this.ringSeq = new Uint32Array(RING);
  }

  get(id: number): Exchange | undefined {
    return this.exchanges[id];
  }

  sentTime(id: number): number {
    return this.sentAt[id];
  }

  /** performance.now() when the oldest query still in flight was sent; -1 when none is. */
  oldestSent(): number {
    // Answered entries at the head of the ring are dropped here as the sweep would drop them.
    while (this.ringLen > 0) {
      const id = this.ringId[this.ringHead];
      if (this.exchanges[id] !== undefined && this.seq[id] === this.ringSeq[this.ringHead]) {
        return this.sentAt[id];
      }
      this.ringHead = (this.ringHead + 1) & (RING - 1);
      this.ringLen--;
    }
    return -1;
  }

  remove(id: number): void {
    if (this.exchanges[id] === undefined) return;
    this.exchanges[id] = undefined;
    this.size--;
  }

  /** Every entry, for a transport that lost its connection. Empties the table. */
  drain(fn: (ex: Exchange, id: number) => void): void {
    while (this.ringLen > 0) {
      const id = this.ringId[this.ringHead];
      const s = this.ringSeq[this.ringHead];
      this.ringHead = (this.ringHead + 1) & (RING - 1);
      this.ringLen--;
      const ex = this.exchanges[id];
      if (ex === undefined || this.seq[id] !== s) continue;
      this.remove(id);
      fn(ex, id);
    }
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Drops answered entries from the ring (a slow query at the head holds the rest back). */
  private compact(): void {
    let kept = 0;
    for (let i = 0; i < this.ringLen; i++) {
      const at = (this.ringHead + i) & (RING - 1);
      const id = this.ringId[at];
      if (this.exchanges[id] === undefined || this.seq[id] !== this.ringSeq[at]) continue;
      const to = (this.ringHead + kept++) & (RING - 1);
      this.ringId[to] = id;
      this.ringSeq[to] = this.ringSeq[at];
    }
    this.ringLen = kept;
  }

  private arm(): void {
    // Coarse on purpose: a timeout seen up to 50 ms late costs nothing, a timer per query does.
    this.timer = setTimeout(this.sweep, 50);
    this.timer.unref();
  }

  private readonly sweep = (): void => {
    this.timer = null;
    const limit = performance.now() - this.timeoutMs;
    while (this.ringLen > 0) {
      const id = this.ringId[this.ringHead];
      const s = this.ringSeq[this.ringHead];
      const live = this.exchanges[id] !== undefined && this.seq[id] === s;
      if (live && this.sentAt[id] > limit) break;
      this.ringHead = (this.ringHead + 1) & (RING - 1);
      this.ringLen--;
      if (!live) continue;
      const ex = this.exchanges[id] as Exchange;
      this.remove(id);
      this.onExpire(ex, id);
    }
    if (this.ringLen > 0) this.arm();
  };
}
