// Identical events within `foldWindow` folded on the serving thread, before they become rows: the
// first event is pushed into the store's ring at once (searchable at the next flush) and its repeats
// only bump a count here; once the window has passed, they leave as one row with their count, the
// first repeat's time and the last one's (syslog's "last message repeated N times"). A device
// retrying a blocked name, the common flood, then costs the serving thread a hash of the name and
// a few compares per event instead of a row pushed, encoded, cloned to the writer and folded there;
// the writer gets a row per distinct event per window. Every event stays counted: a row leaves
// early (its count exact) when the table is full, and `drain(Infinity)` empties it on close.
//
// A hashed table in flat arrays (no object, no Map entry per event): entries in a ring in the order
// they opened, which is the order their windows close in, chained per bucket newest first, so the
// oldest entry is always the last of its chain. An entry's fields lie side by side (its strings in
// 2 cache lines, its numbers in 1): with a column per field, a look-up touched ~20 lines, and
// the table (10,000 live names) does not stay in cache between two repeats.
import type { RowSink } from './event-sink.ts';

const NONE = -1;
/** Distinct events held within their window at most (10,000 names each asked 10 times a second fit). */
const CAPACITY = 1 << 14;
const SLOT = CAPACITY - 1;
const BUCKETS = CAPACITY * 2;
const BUCKET = BUCKETS - 1;
/**
 * Entries of a chain looked at, at most: names made to collide (a flood of crafted names) then
 * cost a few compares each and go unfolded, as rows, never a walk through the whole table.
 */
const PROBES = 8;
/** Per entry in `links`: its hash, the next older and the next newer entry of its bucket. */
const HASH = 0;
const OLDER = 1;
const NEWER = 2;
/** Per entry in `text`: its strings, in RowSink.push order (client … answer, the target among them). */
const TEXT_BITS = 4;
const CLIENT = 0;
const GROUP = 1;
const IDENTITY = 2;
const LAYER = 3;
const PROTOCOL = 4;
const TARGET = 5;
const KIND = 6;
const DECISION = 7;
const APP = 8;
const CATEGORY = 9;
const LIST = 10;
const RULE = 11;
const SOURCE = 12;
const ANSWER = 13;
/** Per entry in `numbers`. */
const NUMBER_BITS = 3;
/** The written event's time: repeats fold while less than `window` after it. */
const START = 0;
/** `now` when the entry opened: it leaves once `window` has passed by this clock. */
const ADDED = 1;
const FIRST = 2;
const LAST = 3;
/** Repeats so far (the written event not counted). */
const COUNT = 4;
/** The written event's (a repeats row carries it, as the writer's fold did). */
const DURATION = 5;
const LINE = 6;
const INTERCEPTED = 7;

/** Per process: which names share a bucket cannot be worked out ahead. */
const SEED = (Math.random() * 0x1_0000_0000) | 0;

/** FNV-1a of the name and the client's last characters (its host part; compares settle the rest). */
function hashOf(target: string, client: string): number {
  let h = (0x811c9dc5 ^ SEED ^ target.length) | 0;
  for (let i = 0; i < target.length; i++) h = Math.imul(h ^ target.charCodeAt(i), 0x01000193);
  for (let i = client.length - 1, end = Math.max(0, client.length - 4); i >= end; i--)
    h = Math.imul(h ^ client.charCodeAt(i), 0x01000193);
  return h;
}

export class RepeatFolder implements RowSink {
  private readonly window: number;
  private readonly rows: RowSink;
  /** performance.now() of the current turn: a window closes by this clock (no wall-clock step holds
   * it back). Set once per turn by whoever pushes (EventStore.directRows), not read per event. */
  now = 0;
  /** Per bucket, its newest entry. */
  private readonly buckets = new Int32Array(BUCKETS).fill(NONE);
  /** Per entry (4 numbers): HASH, OLDER, NEWER. */
  private readonly links = new Int32Array(CAPACITY * 4);
  private readonly numbers = new Float64Array(CAPACITY << NUMBER_BITS);
  private readonly text: string[] = new Array<string>(CAPACITY << TEXT_BITS).fill('');
  private oldest = 0;
  private size = 0;

  constructor(rows: RowSink, window: number) {
    this.rows = rows;
    this.window = window;
  }

  /** Entries held (distinct events within their window). */
  get length(): number {
    return this.size;
  }

  /**
   * RowSink.push: a repeat of a held event within its window is counted there; any other event is
   * pushed on at once and held for its repeats. A row already standing for several events goes on.
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
    const h = count === 1 ? hashOf(target, client) : 0;
    if (count === 1) {
      const links = this.links;
      const n = this.numbers;
      const t = this.text;
      let probes = PROBES;
      for (let e = this.buckets[h & BUCKET]; e !== NONE && probes-- > 0; e = links[4 * e + OLDER]) {
        if (links[4 * e + HASH] !== h) continue;
        const j = e << NUMBER_BITS;
        const i = e << TEXT_BITS;
        if (
          time - n[j + START] < this.window &&
          t[i + TARGET] === target &&
          t[i + CLIENT] === client &&
          t[i + KIND] === kind &&
          t[i + RULE] === rule &&
          t[i + ANSWER] === answer &&
          t[i + DECISION] === decision &&
          t[i + PROTOCOL] === protocol &&
          t[i + LIST] === list &&
          t[i + GROUP] === group &&
          t[i + IDENTITY] === identity &&
          t[i + LAYER] === layer &&
          t[i + APP] === app &&
          t[i + CATEGORY] === category &&
          t[i + SOURCE] === source &&
          n[j + LINE] === line &&
          n[j + INTERCEPTED] === (intercepted ? 1 : 0)
        ) {
          if (n[j + COUNT] === 0) n[j + FIRST] = time;
          n[j + COUNT]++;
          if (time > n[j + LAST]) n[j + LAST] = time;
          return;
        }
      }
    }
    this.rows.push(
      time,
      last,
      count,
      durationMs,
      intercepted,
      client,
      group,
      identity,
      layer,
      protocol,
      target,
      kind,
      decision,
      app,
      category,
      list,
      rule,
      source,
      line,
      answer,
    );
    // A row already standing for several events (a fold upstream) is not held for repeats.
    if (count !== 1) return;
    const links = this.links;
    const n = this.numbers;
    const t = this.text;
    // Full: the oldest leaves before its window has passed (its count as it stands).
    if (this.size === CAPACITY) this.release();
    const e = (this.oldest + this.size) & SLOT;
    this.size++;
    const b = h & BUCKET;
    const older = this.buckets[b];
    links[4 * e + HASH] = h;
    links[4 * e + OLDER] = older;
    links[4 * e + NEWER] = NONE;
    if (older !== NONE) links[4 * older + NEWER] = e;
    this.buckets[b] = e;
    const j = e << NUMBER_BITS;
    n[j + START] = time;
    n[j + ADDED] = this.now;
    n[j + FIRST] = time;
    n[j + LAST] = time;
    n[j + COUNT] = 0;
    n[j + DURATION] = durationMs;
    n[j + LINE] = line;
    n[j + INTERCEPTED] = intercepted ? 1 : 0;
    const i = e << TEXT_BITS;
    t[i + CLIENT] = client;
    t[i + GROUP] = group;
    t[i + IDENTITY] = identity;
    t[i + LAYER] = layer;
    t[i + PROTOCOL] = protocol;
    t[i + TARGET] = target;
    t[i + KIND] = kind;
    t[i + DECISION] = decision;
    t[i + APP] = app;
    t[i + CATEGORY] = category;
    t[i + LIST] = list;
    t[i + RULE] = rule;
    t[i + SOURCE] = source;
    t[i + ANSWER] = answer;
  }

  /** Pushes the repeats of every entry whose window has passed by `now` (Infinity: every entry). */
  drain(now: number): void {
    while (this.size > 0 && this.numbers[(this.oldest << NUMBER_BITS) + ADDED] + this.window <= now)
      this.release();
  }

  /** The oldest entry leaves: its repeats (if any) as one row, then out of its chain (its last). */
  private release(): void {
    const e = this.oldest;
    this.oldest = (e + 1) & SLOT;
    this.size--;
    const n = this.numbers;
    const t = this.text;
    const j = e << NUMBER_BITS;
    const i = e << TEXT_BITS;
    if (n[j + COUNT] > 0) {
      this.rows.push(
        n[j + FIRST],
        n[j + LAST],
        n[j + COUNT],
        n[j + DURATION],
        n[j + INTERCEPTED] === 1,
        t[i + CLIENT],
        t[i + GROUP],
        t[i + IDENTITY],
        t[i + LAYER],
        t[i + PROTOCOL],
        t[i + TARGET],
        t[i + KIND],
        t[i + DECISION],
        t[i + APP],
        t[i + CATEGORY],
        t[i + LIST],
        t[i + RULE],
        t[i + SOURCE],
        n[j + LINE],
        t[i + ANSWER],
      );
    }
    // The per-query strings go now rather than when the slot comes round again.
    t[i + TARGET] = '';
    t[i + CLIENT] = '';
    const links = this.links;
    const newer = links[4 * e + NEWER];
    if (newer === NONE) this.buckets[links[4 * e + HASH] & BUCKET] = NONE;
    else links[4 * newer + OLDER] = NONE;
  }
}
