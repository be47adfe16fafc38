// Rows of the event store on their way to SQLite: a ring of columns (no object per event, so
// nothing here lives long enough to cost the garbage collector a copy). With a `window` it folds
// identical events (same client, group, identity, layer, protocol, name or URL, type or method,
// decision, rule and answer) within `window` ms of a row's start into that row's count, and a row
// is taken once its window has passed; without one (the serving thread's ring, behind its
// repeat-folder.ts, and the writer's rows to write at once) every event is a row, ready at once.
// sqlite-store.ts folds with one when given events itself (`offer`: tests, tools).
//
// Bounded: the columns are chunks of CHUNK rows, allocated as the ring first reaches them (a quiet
// resolver never pays for `capacity`) and never copied; when full, the oldest row is dropped and its
// events counted (`dropped`). (They were arrays doubled as the ring grew: while a starved writer
// let rows pile up, the copies took ~12 % of the answering thread's profile at a blocked load.)
import type { PolicyEvent } from './event.ts';
import { pushEvent } from './event-sink.ts';
import { NUMBERS, REF_FIELDS, REFS, type EncodedBatch } from './batch-codec.ts';
import { Chunk, CHUNK, CHUNK_BITS, MASK, sameEvent } from './row-chunk.ts';

const NONE = -1;
/** REF_FIELDS position of the rule, the one per-name field besides the target. */
const RULE = REF_FIELDS.indexOf('rule');
/**
 * Emptied chunks kept for reuse (32k rows: a flush interval's backlog at 100k events/s); beyond
 * them a burst's chunks are given back. With 2 kept, a backlog going up and down by a post's 4096
 * rows made and collected chunks all the time (1.4 % of the answering thread's profile).
 */
const SPARE = 32;

export class RowRing {
  private readonly window: number;
  private readonly cap: number;
  /** Per CHUNK slots of the ring, its chunk while a live row is in it. */
  private readonly chunks: (Chunk | undefined)[];
  /** Chunks the head has left, kept for the tail (at most SPARE; the others go to the collector). */
  private readonly spare: Chunk[] = [];
  /** The newest row per target (folding only). */
  private readonly byTarget = new Map<string, number>();
  private head = 0;
  private size = 0;
  /** Events lost with rows dropped from a full ring. */
  dropped = 0;

  /** `window` 0 folds nothing: every event is its own row. */
  constructor(capacity: number, window: number) {
    this.cap = Math.max(1, capacity);
    this.window = window;
    this.chunks = new Array<Chunk | undefined>(Math.ceil(this.cap / CHUNK));
  }

  /** The chunk that holds (live) slot `s`. */
  private at(s: number): Chunk {
    return this.chunks[s >>> CHUNK_BITS]!;
  }

  /** The chunk for a new row in slot `s`: a spare one, or a new one when none is spare. */
  private enter(s: number): Chunk {
    return (this.chunks[s >>> CHUNK_BITS] ??= this.spare.pop() ?? new Chunk());
  }

  /** Rows held (within their window, or waiting for the writer). */
  get length(): number {
    return this.size;
  }

  /**
   * Counts the event (or a row of `count` events up to `last`) into a held row identical to it
   * whose window is still open; false when there is none. A row of count 0 (see `offer`) takes the
   * time of the first event folded into it.
   */
  fold(e: PolicyEvent, count = 1, last = e.time): boolean {
    if (this.window === 0) return false;
    for (let s = this.byTarget.get(e.target) ?? NONE; s !== NONE;) {
      const c = this.at(s);
      const o = s & MASK;
      if (e.time - c.start[o] < this.window && sameEvent(c, o, e)) {
        if (c.count[o] === 0) c.time[o] = e.time;
        c.count[o] += count;
        if (last > c.last[o]) c.last[o] = last;
        return true;
      }
      s = c.older[o];
    }
    return false;
  }

  /**
   * Adds an event, or a row that already stands for `count` events up to `last`, folding it into a
   * held identical row when there is one. `count` 0 adds an empty row that later identical events
   * fold into ("repeated N times"); it is never written while it stays empty.
   */
  offer(e: PolicyEvent, count = 1, last = e.time): void {
    if (this.fold(e, count, last)) return;
    pushEvent(this, e, last, count);
  }

  /**
   * Adds a row from its fields, not folded: the DNS side's way in (dns-event-ring.ts), which builds
   * no PolicyEvent when the store is the only sink listening. `source` is the rule's file and `line`
   * its line (the file keeps them apart: no string built and no WeakMap lookup per event here), or
   * the whole `file:line` with `line` -1.
   */
  push(
    time: number,
    last: number,
    count: number,
    durationMs: number,
    intercepted: boolean,
    client: string,
    group: string,
    identity: string,
    layer: string,
    protocol: string,
    target: string,
    kind: string,
    decision: string,
    app: string,
    category: string,
    list: string,
    rule: string,
    source: string,
    line: number,
    answer: string,
  ): void {
    if (this.size === this.cap) {
      // Full: the oldest goes (the newest events are what an operator searching now is after).
      this.dropped += this.at(this.head).count[this.head & MASK];
      this.release();
    }
    const s = (this.head + this.size) % this.cap;
    this.size++;
    const c = this.enter(s);
    const o = s & MASK;
    c.time[o] = time;
    c.start[o] = time;
    // Unfolded rows are ready at once: no clock read per event.
    c.added[o] = this.window > 0 ? performance.now() : 0;
    c.last[o] = last;
    c.count[o] = count;
    c.duration[o] = durationMs;
    c.intercepted[o] = intercepted ? 1 : 0;
    c.line[o] = line;
    const t = c.text;
    t[0][o] = client;
    t[1][o] = group;
    t[2][o] = identity;
    t[3][o] = layer;
    t[4][o] = protocol;
    t[5][o] = kind;
    t[6][o] = decision;
    t[7][o] = app;
    t[8][o] = category;
    t[9][o] = list;
    t[10][o] = rule;
    t[11][o] = source;
    t[12][o] = answer;
    c.target[o] = target;
    if (this.window > 0) {
      c.older[o] = this.byTarget.get(target) ?? NONE;
      this.byTarget.set(target, s);
    }
  }

  /**
   * Takes up to `max` rows, oldest first, whose window has passed by `now` (performance.now();
   * Infinity takes every row), encoded for the writer; null when none is ready.
   */
  take(max: number, now = performance.now()): EncodedBatch | null {
    // Rows ready (their window passed) and not empty, counted first to size the columns; then
    // encoded and released one by one (a released chunk may go to the spares).
    let n = 0;
    let scanned = 0;
    while (n < max && scanned < this.size) {
      const s = (this.head + scanned) % this.cap;
      const c = this.at(s);
      if (c.added[s & MASK] + this.window > now) break;
      if (c.count[s & MASK] > 0) n++;
      scanned++;
    }
    if (n === 0) {
      for (; scanned > 0; scanned--) this.release();
      return null;
    }
    // Every string but the target once per batch, referred to by index. Neighbouring rows mostly
    // repeat a field (one client, one rule), so each field first checks the row before's string.
    const ids = new Map<string, number>();
    const strings: string[] = [];
    const prevText = new Array<string | undefined>(REFS);
    const prevId = new Int32Array(REFS);
    const refs = new Int32Array(n * REFS);
    const numbers = new Float64Array(n * NUMBERS);
    const targets = new Array<string>(n);
    const lines = new Int32Array(n);
    let i = 0;
    let j = 0;
    for (let row = 0; scanned > 0; scanned--) {
      const c = this.at(this.head);
      const o = this.head & MASK;
      if (c.count[o] === 0) {
        this.release();
        continue;
      }
      for (let f = 0; f < REFS; f++) {
        const text = c.text[f][o];
        if (text !== prevText[f]) {
          // The rule differs for nearly every blocked name: hashing each into the map cost more
          // (a fresh string per event) than sending it again when it recurs. The source goes
          // through it: from the DNS side it is the rule's file alone, one string per list.
          let k = f === RULE ? undefined : ids.get(text);
          if (k === undefined) {
            k = strings.length;
            strings.push(text);
            if (f !== RULE) ids.set(text, k);
          }
          prevText[f] = text;
          prevId[f] = k;
        }
        refs[i++] = prevId[f];
      }
      numbers[j++] = c.time[o];
      numbers[j++] = c.last[o];
      numbers[j++] = c.duration[o];
      numbers[j++] = c.count[o];
      numbers[j++] = c.intercepted[o];
      targets[row] = c.target[o];
      lines[row] = c.line[o];
      row++;
      this.release();
    }
    return { strings, refs, numbers, targets, lines };
  }

  /**
   * Removes the oldest row; it is the last of its target's chain (rows are added newest first). A
   * chunk left with no live row goes to the spares.
   */
  private release(): void {
    const s = this.head;
    this.head = (this.head + 1) % this.cap;
    this.size--;
    if (this.window > 0) this.unchain(s);
    const x = s >>> CHUNK_BITS;
    if (
      this.head >>> CHUNK_BITS !== x &&
      (this.size === 0 || ((this.head + this.size - 1) % this.cap) >>> CHUNK_BITS !== x)
    ) {
      if (this.spare.length < SPARE) this.spare.push(this.chunks[x]!);
      this.chunks[x] = undefined;
    }
  }

  /** Takes slot `s`, the oldest row of its target, out of the target's chain. */
  private unchain(s: number): void {
    const target = this.at(s).target[s & MASK];
    const newest = this.byTarget.get(target);
    if (newest === s) {
      this.byTarget.delete(target);
      return;
    }
    for (let q = newest ?? NONE; q !== NONE;) {
      const c = this.at(q);
      if (c.older[q & MASK] === s) {
        c.older[q & MASK] = NONE;
        return;
      }
      q = c.older[q & MASK];
    }
  }
}
