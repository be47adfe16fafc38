// Where every event goes: one call from the DNS side or the proxy hands the event to each sink
// (store, live feed, JSON-lines file, syslog, dnstap). Sinks never block; a sink that throws loses
// that event (counted) and the others still get it.
import type { PolicyEvent } from './event.ts';
import type { EventSink } from './event-sink.ts';

export class EventPipeline {
  private readonly sinks: EventSink[] = [];
  /** Events a sink threw on (a bug in a sink must not reach a DNS answer). */
  private readonly failures = new Map<string, number>();
  /** Allowed queries and requests become events too (`events.record: all`). */
  readonly recordAll: boolean;

  constructor(recordAll: boolean) {
    this.recordAll = recordAll;
  }

  add(sink: EventSink): void {
    this.sinks.push(sink);
  }

  get size(): number {
    return this.sinks.length;
  }

  offer(e: PolicyEvent): void {
    const sinks = this.sinks;
    for (let i = 0; i < sinks.length; i++) {
      try {
        sinks[i].offer(e);
      } catch {
        this.failures.set(sinks[i].name, (this.failures.get(sinks[i].name) ?? 0) + 1);
      }
    }
  }

  /** Per sink: events lost (its own count plus throws), for banwall_events_dropped_total{sink}. */
  dropped(): { sink: string; dropped: number }[] {
    return this.sinks.map((s) => ({ sink: s.name, dropped: s.dropped + (this.failures.get(s.name) ?? 0) }));
  }

  find<T extends EventSink>(name: string): T | undefined {
    return this.sinks.find((s) => s.name === name) as T | undefined;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.sinks.map((s) => s.close()));
  }
}
