// Rows of the event store on their way to SQLite: a ring of columns (no object per event, so
// nothing here lives long enough to cost the garbage collector a copy). With a `window` it folds
// identical events (same client, group, identity, layer, protocol, name or URL, type or method,
// decision, rule and answer) within `window` ms of a row's start into that row's count, and a row
// is taken once its window has passed; without one (the serving thread's ring, and the writer's
// rows to write at once) every event is a row, ready at once. sqlite-store.ts uses one of each
// for syslog-style "repeated N times" rows.
//
// Bounded: the columns grow (doubling) up to `capacity` rows; when full, the oldest row is dropped
// and its events counted (`dropped`).
import type { PolicyEvent } from './event.ts';
import { NUMBERS, REF_FIELDS, REFS, sourceText, type EncodedBatch } from './batch-codec.ts';

const NONE = -1;
/** REF_FIELDS position of the rule, the one per-name field besides the target. */
const RULE = REF_FIELDS.indexOf('rule');
/** Rows the columns start with; a quiet resolver never pays for `capacity`. */
const INITIAL = 1024;

export class RowRing {
  private readonly window: number;
  private readonly max: number;
  private cap: number;
  private time: Float64Array;
  /** The event time its fold window starts at (`time` moves to the first repeat in a repeats row). */
  private start: Float64Array;
  /** performance.now() when the row was added: its window closes by this clock, which no wall-clock
   * step (NTP, DST) can hold back. */
  private added: Float64Array;
  private last: Float64Array;
  private count: Float64Array;
  private duration: Float64Array;
  private intercepted: Uint8Array;
  /** The rule's line when `source` holds only its file (the DNS side's rows), else -1. */
  private line: Int32Array;
  /** The next older row with the same target, or NONE. */
  private older: Int32Array;
  /** One column per REF_FIELDS entry (client, group, … answer: the indexes below follow it). */
  private text: string[][];
  private target: string[];
  /** The newest row per target (folding only). */
  private readonly byTarget = new Map<string, number>();
  private head = 0;
  private size = 0;
  /** Events lost with rows dropped from a full ring. */
  dropped = 0;

  /** `window` 0 folds nothing: every event is its own row. */
  constructor(capacity: number, window: number) {
    this.max = Math.max(1, capacity);
    this.window = window;
    const cap = Math.min(this.max, INITIAL);
    this.cap = cap;
    this.time = new Float64Array(cap);
    this.start = new Float64Array(cap);
    this.added = new Float64Array(cap);
    this.last = new Float64Array(cap);
    this.count = new Float64Array(cap);
    this.duration = new Float64Array(cap);
    this.intercepted = new Uint8Array(cap);
    this.line = new Int32Array(cap);
    this.older = new Int32Array(cap);
    this.text = Array.from({ length: REFS }, () => new Array<string>(cap).fill(''));
    this.target = new Array<string>(cap).fill('');
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
    for (let s = this.byTarget.get(e.target) ?? NONE; s !== NONE; s = this.older[s]) {
      if (e.time - this.start[s] < this.window && this.same(s, e)) {
        if (this.count[s] === 0) this.time[s] = e.time;
        this.count[s] += count;
        if (last > this.last[s]) this.last[s] = last;
        return true;
      }
    }
    return false;
  }

  /**
   * fold() for row `row` of an encoded batch (the writer's way: its fields compared where they are,
   * no event built and no `file:line` joined per row).
   */
  foldRow(b: EncodedBatch, row: number): boolean {
    if (this.window === 0) return false;
    const j = row * NUMBERS;
    const time = b.numbers[j];
    for (let s = this.byTarget.get(b.targets[row]) ?? NONE; s !== NONE; s = this.older[s]) {
      if (time - this.start[s] < this.window && this.sameRow(s, b, row)) {
        if (this.count[s] === 0) this.time[s] = time;
        this.count[s] += b.numbers[j + 3];
        if (b.numbers[j + 1] > this.last[s]) this.last[s] = b.numbers[j + 1];
        return true;
      }
    }
    return false;
  }

  /** Adds an empty row (count 0) that the repeats of row `row` of a batch fold into. */
  openRepeats(b: EncodedBatch, row: number): void {
    const { strings: t, refs: r, numbers: n } = b;
    const i = row * REFS;
    const j = row * NUMBERS;
    this.push(
      n[j],
      n[j],
      0,
      n[j + 2],
      n[j + 4] === 1,
      t[r[i]],
      t[r[i + 1]],
      t[r[i + 2]],
      t[r[i + 3]],
      t[r[i + 4]],
      b.targets[row],
      t[r[i + 5]],
      t[r[i + 6]],
      t[r[i + 7]],
      t[r[i + 8]],
      t[r[i + 9]],
      t[r[i + 10]],
      t[r[i + 11]],
      b.lines[row],
      t[r[i + 12]],
    );
  }

  /**
   * Adds an event, or a row that already stands for `count` events up to `last`, folding it into a
   * held identical row when there is one. `count` 0 adds an empty row that later identical events
   * fold into ("repeated N times"); it is never written while it stays empty.
   */
  offer(e: PolicyEvent, count = 1, last = e.time): void {
    if (this.fold(e, count, last)) return;
    this.push(
      e.time,
      last,
      count,
      e.durationMs,
      e.intercepted,
      e.client,
      e.group,
      e.identity,
      e.layer,
      e.protocol,
      e.target,
      e.kind,
      e.decision,
      e.app,
      e.category,
      e.list,
      e.rule,
      e.source,
      -1,
      e.answer,
    );
  }

  /**
   * Adds a row from its fields, not folded: the DNS side's way in (dns-event-ring.ts), which builds
   * no PolicyEvent when the store is the only sink listening. `source` is the rule's file and `line`
   * its line (the writer joins them: no string built and no WeakMap lookup per event here), or the
   * whole `file:line` with `line` -1.
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
      if (this.cap < this.max) {
        this.grow();
      } else {
        // Full: the oldest goes (the newest events are what an operator searching now is after).
        this.dropped += this.count[this.head];
        this.release();
      }
    }
    const s = (this.head + this.size) % this.cap;
    this.size++;
    this.time[s] = time;
    this.start[s] = time;
    // Unfolded rows are ready at once: no clock read per event.
    this.added[s] = this.window > 0 ? performance.now() : 0;
    this.last[s] = last;
    this.count[s] = count;
    this.duration[s] = durationMs;
    this.intercepted[s] = intercepted ? 1 : 0;
    this.line[s] = line;
    const t = this.text;
    t[0][s] = client;
    t[1][s] = group;
    t[2][s] = identity;
    t[3][s] = layer;
    t[4][s] = protocol;
    t[5][s] = kind;
    t[6][s] = decision;
    t[7][s] = app;
    t[8][s] = category;
    t[9][s] = list;
    t[10][s] = rule;
    t[11][s] = source;
    t[12][s] = answer;
    this.target[s] = target;
    if (this.window > 0) {
      this.older[s] = this.byTarget.get(target) ?? NONE;
      this.byTarget.set(target, s);
    }
  }

  /**
   * Takes up to `max` rows, oldest first, whose window has passed by `now` (performance.now();
   * Infinity takes every row), encoded for the writer; null when none is ready.
   */
  take(max: number, now = performance.now()): EncodedBatch | null {
    // The slots stay as they are until the next offer, so they are read after their release.
    const slots: number[] = [];
    while (slots.length < max && this.size > 0 && this.added[this.head] + this.window <= now) {
      if (this.count[this.head] > 0) slots.push(this.head);
      this.release();
    }
    const n = slots.length;
    if (n === 0) return null;
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
    for (let row = 0; row < n; row++) {
      const s = slots[row];
      for (let f = 0; f < REFS; f++) {
        const text = this.text[f][s];
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
      numbers[j++] = this.time[s];
      numbers[j++] = this.last[s];
      numbers[j++] = this.duration[s];
      numbers[j++] = this.count[s];
      numbers[j++] = this.intercepted[s];
      targets[row] = this.target[s];
      lines[row] = this.line[s];
    }
    return { strings, refs, numbers, targets, lines };
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

  /** Doubles the columns (up to the capacity), the oldest row moved to slot 0. */
  private grow(): void {
    const old = this.cap;
    const cap = Math.min(this.max, old * 2);
    const from = (i: number): number => (this.head + i) % old;
    const moved = <T extends Float64Array | Uint8Array | Int32Array>(a: T, b: T): T => {
      for (let i = 0; i < this.size; i++) b[i] = a[from(i)];
      return b;
    };
    const movedText = (a: string[]): string[] => {
      const b = new Array<string>(cap).fill('');
      for (let i = 0; i < this.size; i++) b[i] = a[from(i)];
      return b;
    };
    const slot = (s: number): number => (s - this.head + old) % old;
    this.time = moved(this.time, new Float64Array(cap));
    this.start = moved(this.start, new Float64Array(cap));
    this.added = moved(this.added, new Float64Array(cap));
    this.last = moved(this.last, new Float64Array(cap));
    this.count = moved(this.count, new Float64Array(cap));
    this.duration = moved(this.duration, new Float64Array(cap));
    this.intercepted = moved(this.intercepted, new Uint8Array(cap));
    this.line = moved(this.line, new Int32Array(cap));
    const older = moved(this.older, new Int32Array(cap));
    for (let i = 0; i < this.size; i++) if (older[i] !== NONE) older[i] = slot(older[i]);
    this.older = older;
    this.text = this.text.map(movedText);
    this.target = movedText(this.target);
    for (const [target, s] of this.byTarget) this.byTarget.set(target, slot(s));
    this.head = 0;
    this.cap = cap;
  }

  private same(s: number, e: PolicyEvent): boolean {
    const t = this.text;
    return (
      t[0][s] === e.client &&
      t[5][s] === e.kind &&
      t[10][s] === e.rule &&
      t[12][s] === e.answer &&
      t[6][s] === e.decision &&
      t[4][s] === e.protocol &&
      t[9][s] === e.list &&
      t[1][s] === e.group &&
      t[2][s] === e.identity &&
      t[3][s] === e.layer &&
      t[11][s] === e.source &&
      t[7][s] === e.app &&
      t[8][s] === e.category &&
      (this.line[s] < 0 ? t[11][s] === e.source : sourceText(t[11][s], this.line[s]) === e.source) &&
      this.intercepted[s] === (e.intercepted ? 1 : 0)
    );
  }

  /** same() against row `row` of a batch, field by field in its columns. */
  private sameRow(s: number, b: EncodedBatch, row: number): boolean {
    const t = this.text;
    const str = b.strings;
    const i = row * REFS;
    const r = b.refs;
    return (
      t[0][s] === str[r[i]] &&
      t[5][s] === str[r[i + 5]] &&
      t[10][s] === str[r[i + 10]] &&
      t[12][s] === str[r[i + 12]] &&
      t[6][s] === str[r[i + 6]] &&
      t[4][s] === str[r[i + 4]] &&
      t[9][s] === str[r[i + 9]] &&
      t[1][s] === str[r[i + 1]] &&
      t[2][s] === str[r[i + 2]] &&
      t[3][s] === str[r[i + 3]] &&
      this.line[s] === b.lines[row] &&
      t[11][s] === str[r[i + 11]] &&
      t[7][s] === str[r[i + 7]] &&
      t[8][s] === str[r[i + 8]] &&
      this.intercepted[s] === b.numbers[row * NUMBERS + 4]
    );
  }
}
