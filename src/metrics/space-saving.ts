// Space-Saving (Metwally, Agrawal, El Abbadi 2005) with its Stream-Summary layout: the k most
// frequent keys of a stream in O(1) per offered key and O(k) memory, whatever the stream holds.
// Entries with the same count share a bucket; buckets form a list ordered by count, so an increment
// moves one entry to the next bucket and eviction takes any entry of the smallest bucket.

class Bucket {
  count: number;
  head: Entry | null = null;
  prev: Bucket | null = null;
  next: Bucket | null = null;
  constructor(count: number) {
    this.count = count;
  }
}

class Entry {
  key: string;
  /** Over-estimation bound: the count the evicted key had when this key took its place. */
  error = 0;
  bucket!: Bucket;
  prev: Entry | null = null;
  next: Entry | null = null;
  constructor(key: string) {
    this.key = key;
  }
}

export interface TopEntry {
  readonly key: string;
  /** Estimated count; the true count is in [count - error, count]. */
  readonly count: number;
  readonly error: number;
}

export class SpaceSaving {
  readonly capacity: number;
  private readonly entries = new Map<string, Entry>();
  private min: Bucket | null = null;
  /**
   * The last bucket emptied, reused by the next one needed: a full summary fed distinct keys (the
   * blocked-names top-k under a spread of names) empties one bucket and needs one per offer, and a
   * new object per offer is garbage on the blocked path (issue 17 item 1).
   */
  private spare: Bucket | null = null;

  constructor(capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.size;
  }

  offer(key: string): void {
    let e = this.entries.get(key);
    if (e !== undefined) {
      this.increment(e);
      return;
    }
    if (this.entries.size < this.capacity) {
      e = new Entry(key);
      let b = this.min;
      if (b === null || b.count !== 1) {
        const nb = this.bucket(1);
        nb.next = b;
        if (b !== null) b.prev = nb;
        this.min = b = nb;
      }
      attach(e, b);
      this.entries.set(key, e);
      return;
    }
    // Full: the new key replaces one with the smallest count and inherits that count as its error.
    e = this.min!.head!;
    this.entries.delete(e.key);
    e.key = key;
    e.error = e.bucket.count;
    this.entries.set(key, e);
    this.increment(e);
  }

  /** Every tracked key, highest count first. */
  list(): TopEntry[] {
    const out: TopEntry[] = [];
    for (const e of this.entries.values()) out.push({ key: e.key, count: e.bucket.count, error: e.error });
    return out.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
  }

  clear(): void {
    this.entries.clear();
    this.min = null;
    this.spare = null;
  }

  private increment(e: Entry): void {
    const b = e.bucket;
    let nb = b.next;
    if (nb === null || nb.count !== b.count + 1) {
      const created = this.bucket(b.count + 1);
      created.prev = b;
      created.next = nb;
      if (nb !== null) nb.prev = created;
      b.next = created;
      nb = created;
    }
    detach(e);
    attach(e, nb);
    if (b.head === null) {
      // Unlink the emptied bucket.
      if (b.prev !== null) b.prev.next = b.next;
      else this.min = b.next;
      if (b.next !== null) b.next.prev = b.prev;
      this.spare = b;
    }
  }

  /** An empty bucket for `count`: the spare one when there is one. */
  private bucket(count: number): Bucket {
    const b = this.spare;
    if (b === null) return new Bucket(count);
    this.spare = null;
    b.count = count;
    b.head = b.prev = b.next = null;
    return b;
  }
}

function attach(e: Entry, b: Bucket): void {
  e.bucket = b;
  e.prev = null;
  e.next = b.head;
  if (b.head !== null) b.head.prev = e;
  b.head = e;
}

function detach(e: Entry): void {
  const b = e.bucket;
  if (e.prev !== null) e.prev.next = e.next;
  else b.head = e.next;
  if (e.next !== null) e.next.prev = e.prev;
  e.prev = e.next = null;
}
