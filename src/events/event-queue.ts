// A bounded queue between the serving path and one slow sink (disk, socket). Pushing never waits and
// never grows memory: when the sink falls behind, the oldest events are overwritten and counted, so a
// stalled disk or collector costs history, never answers.
import type { PolicyEvent } from './event.ts';

export class EventQueue {
  private readonly ring: (PolicyEvent | undefined)[];
  private head = 0;
  private size = 0;
  /** Events overwritten before the sink took them. */
  dropped = 0;

  constructor(capacity: number) {
    this.ring = new Array<PolicyEvent | undefined>(Math.max(1, capacity));
  }

  get length(): number {
    return this.size;
  }

  push(event: PolicyEvent): void {
    const cap = this.ring.length;
    if (this.size === cap) {
      // Full: the oldest goes (the newest events are what an operator searching now is after).
      this.ring[this.head] = event;
      this.head = (this.head + 1) % cap;
      this.dropped++;
      return;
    }
    this.ring[(this.head + this.size) % cap] = event;
    this.size++;
  }

  /** Takes up to `max` events, oldest first. */
  take(max: number): PolicyEvent[] {
    const n = Math.min(max, this.size);
    const out = new Array<PolicyEvent>(n);
    const cap = this.ring.length;
    for (let i = 0; i < n; i++) {
      out[i] = this.ring[this.head]!;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % cap;
    }
    this.size -= n;
    return out;
  }
}
