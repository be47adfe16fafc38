// The store's rows on the serving thread, between the event and the writer thread: a ring of
// preallocated columns (no object per event, so nothing here lives long enough to cost the garbage
// collector a copy) that folds identical repeated events into one row, like syslog's "last message
// repeated N times". A device retrying a blocked name ten times a second is one row with count 10,
// not ten rows: SQLite's µs per row on the writer and the copy to it are most of what the store
// costs. Identical: same client, group, identity, layer, protocol, name or URL, type or method,
// decision, rule and answer, within `window` ms of the row's first event. A row is taken for the
// writer once its window has passed, so the store shows it that much later. Only the store folds:
// the live feed, syslog and dnstap get every event.
//
// Bounded: when the ring is full the oldest row is dropped and its events counted (`dropped`).
import type { PolicyEvent } from './event.ts';
import { NUMBERS, REFS, type EncodedBatch } from './batch-codec.ts';

const NONE = -1;

export class RowRing {
  private readonly window: number;
  private readonly cap: number;
  private readonly time: Float64Array;
  /** performance.now() when the row was added: its window closes by this clock, which no wall-clock
   * step (NTP, DST) can hold back. */
  private readonly added: Float64Array;
  private readonly last: Float64Array;
  private readonly count: Float64Array;
  private readonly duration: Float64Array;
  private readonly intercepted: Uint8Array;
  /** The next older row with the same target, or NONE. */
  private readonly older: Int32Array;
  private readonly client: string[];
  private readonly group: string[];
  private readonly identity: string[];
  private readonly layer: string[];
  private readonly protocol: string[];
  private readonly target: string[];
  private readonly kind: string[];
  private readonly decision: string[];
  private readonly answer: string[];
  private readonly app: string[];
  private readonly category: string[];
  private readonly list: string[];
  private readonly rule: string[];
  private readonly source: string[];
  /** The newest row per target (folding only). */
  private readonly byTarget = new Map<string, number>();
  private head = 0;
  private size = 0;
  /** Events lost with rows dropped from a full ring. */
  dropped = 0;

  /** `window` 0 folds nothing: every event is its own row. */
  constructor(capacity: number, window: number) {
    const cap = Math.max(1, capacity);
    this.cap = cap;
    this.window = window;
    this.time = new Float64Array(cap);
    this.added = new Float64Array(cap);
    this.last = new Float64Array(cap);
    this.count = new Float64Array(cap);
    this.duration = new Float64Array(cap);
    this.intercepted = new Uint8Array(cap);
    this.older = new Int32Array(cap);
    const strings = (): string[] => new Array<string>(cap).fill('');
    this.client = strings();
    this.group = strings();
    this.identity = strings();
    this.layer = strings();
    this.protocol = strings();
    this.target = strings();
    this.kind = strings();
    this.decision = strings();
    this.answer = strings();
    this.app = strings();
    this.category = strings();
    this.list = strings();
    this.rule = strings();
    this.source = strings();
  }

  /** Rows held (within their window, or waiting for the writer). */
  get length(): number {
    return this.size;
  }

  offer(e: PolicyEvent): void {
    if (this.window > 0) {
      for (let s = this.byTarget.get(e.target) ?? NONE; s !== NONE; s = this.older[s]) {
        if (e.time - this.time[s] < this.window && this.same(s, e)) {
          this.count[s]++;
          if (e.time > this.last[s]) this.last[s] = e.time;
          return;
        }
      }
    }
    if (this.size === this.cap) {
      // Full: the oldest goes (the newest events are what an operator searching now is after).
      this.dropped += this.count[this.head];
      this.release();
    }
    const s = (this.head + this.size) % this.cap;
    this.size++;
    this.time[s] = e.time;
    this.added[s] = performance.now();
    this.last[s] = e.time;
    this.count[s] = 1;
    this.duration[s] = e.durationMs;
    this.intercepted[s] = e.intercepted ? 1 : 0;
    this.client[s] = e.client;
    this.group[s] = e.group;
    this.identity[s] = e.identity;
    this.layer[s] = e.layer;
    this.protocol[s] = e.protocol;
    this.target[s] = e.target;
    this.kind[s] = e.kind;
    this.decision[s] = e.decision;
    this.answer[s] = e.answer;
    this.app[s] = e.app;
    this.category[s] = e.category;
    this.list[s] = e.list;
    this.rule[s] = e.rule;
    this.source[s] = e.source;
    if (this.window > 0) {
      this.older[s] = this.byTarget.get(e.target) ?? NONE;
      this.byTarget.set(e.target, s);
    }
  }

  /**
   * Takes up to `max` rows, oldest first, whose window has passed by `now` (performance.now();
   * Infinity takes every row), encoded for the writer; null when none is ready.
   */
  take(max: number, now = performance.now()): EncodedBatch | null {
    let n = 0;
    while (n < max && n < this.size && this.added[(this.head + n) % this.cap] + this.window <= now) n++;
    if (n === 0) return null;
    // Every string but the target once per batch, referred to by index.
    const ids = new Map<string, number>();
    const strings: string[] = [];
    const id = (text: string): number => {
      let k = ids.get(text);
      if (k === undefined) {
        k = strings.length;
        strings.push(text);
        ids.set(text, k);
      }
      return k;
    };
    const refs = new Int32Array(n * REFS);
    const numbers = new Float64Array(n * NUMBERS);
    const targets = new Array<string>(n);
    let i = 0;
    let j = 0;
    for (let row = 0; row < n; row++) {
      const s = this.head;
      // In REF_FIELDS order.
      refs[i++] = id(this.client[s]);
      refs[i++] = id(this.group[s]);
      refs[i++] = id(this.identity[s]);
      refs[i++] = id(this.layer[s]);
      refs[i++] = id(this.protocol[s]);
      refs[i++] = id(this.kind[s]);
      refs[i++] = id(this.decision[s]);
      refs[i++] = id(this.app[s]);
      refs[i++] = id(this.category[s]);
      refs[i++] = id(this.list[s]);
      refs[i++] = id(this.rule[s]);
      refs[i++] = id(this.source[s]);
      refs[i++] = id(this.answer[s]);
      numbers[j++] = this.time[s];
      numbers[j++] = this.last[s];
      numbers[j++] = this.duration[s];
      numbers[j++] = this.count[s];
      numbers[j++] = this.intercepted[s];
      targets[row] = this.target[s];
      this.release();
    }
    return { strings, refs, numbers, targets };
  }

  /** Removes the oldest row; it is the last of its target's chain (rows are added newest first). */
  private release(): void {
    const s = this.head;
    this.head = (this.head + 1) % this.cap;
    this.size--;
    if (this.window === 0) return;
    const target = this.target[s];
    const newest = this.byTarget.get(target);
    if (newest === s) {
      this.byTarget.delete(target);
      return;
    }
    for (let q = newest ?? NONE; q !== NONE; q = this.older[q]) {
      if (this.older[q] === s) {
        this.older[q] = NONE;
        return;
      }
    }
  }

  private same(s: number, e: PolicyEvent): boolean {
    return (
      this.client[s] === e.client &&
      this.kind[s] === e.kind &&
      this.rule[s] === e.rule &&
      this.answer[s] === e.answer &&
      this.decision[s] === e.decision &&
      this.protocol[s] === e.protocol &&
      this.list[s] === e.list &&
      this.group[s] === e.group &&
      this.identity[s] === e.identity &&
      this.layer[s] === e.layer &&
      this.source[s] === e.source &&
      this.app[s] === e.app &&
      this.category[s] === e.category &&
      this.intercepted[s] === (e.intercepted ? 1 : 0)
    );
  }
}
