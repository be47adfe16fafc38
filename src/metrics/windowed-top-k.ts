// The top keys over a recent window: one Space-Saving summary per minute in a ring, merged when asked.
// Offering a key is O(1) (the summary of the current minute); asking merges at most `minutes`
// summaries of `capacity` keys each, on the admin API's slow path. The place for what must never be a
// metric label (domain names, client addresses): bounded memory whatever the traffic.
import { SpaceSaving, type TopEntry } from './space-saving.ts';

const MINUTE_MS = 60_000;

export class WindowedTopK {
  readonly minutes: number;
  private readonly slots: SpaceSaving[];
  /** The minute (ms / 60000) whose counts each slot holds; -1 when empty. */
  private readonly slotMinute: Float64Array;

  constructor(capacity = 100, minutes = 15) {
    this.minutes = minutes;
    this.slots = Array.from({ length: minutes }, () => new SpaceSaving(capacity));
    this.slotMinute = new Float64Array(minutes).fill(-1);
  }

  /** `now` in ms on any monotonic clock (the resolver passes `query.received`, performance.now()). */
  offer(key: string, now: number): void {
    const minute = Math.floor(now / MINUTE_MS);
    const i = minute % this.minutes;
    if (this.slotMinute[i] !== minute) {
      this.slots[i].clear();
      this.slotMinute[i] = minute;
    }
    this.slots[i].offer(key);
  }

  /** The `n` keys with the highest counts over the last `windowMinutes` minutes (current included). */
  top(n: number, now: number, windowMinutes = this.minutes): TopEntry[] {
    const current = Math.floor(now / MINUTE_MS);
    const oldest = current - Math.min(Math.max(1, windowMinutes), this.minutes) + 1;
    const merged = new Map<string, { count: number; error: number }>();
    for (let i = 0; i < this.minutes; i++) {
      const m = this.slotMinute[i];
      if (m < oldest || m > current) continue;
      for (const e of this.slots[i].list()) {
        const acc = merged.get(e.key);
        if (acc) {
          acc.count += e.count;
          acc.error += e.error;
        } else merged.set(e.key, { count: e.count, error: e.error });
      }
    }
    return [...merged]
      .map(([key, v]) => ({ key, count: v.count, error: v.error }))
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1))
      .slice(0, Math.max(0, n));
  }
}
