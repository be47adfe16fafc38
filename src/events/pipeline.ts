// Where every event goes: one call from the DNS side or the proxy hands the event to each sink
// (store, live feed, JSON-lines file, syslog, dnstap). Sinks never block; a sink that throws loses
// that event (counted) and the others still get it.
import type { PolicyEvent } from './event.ts';
import type { EventSink } from './event-sink.ts';

/** Which events a sink takes: every one, or blocks (and monitored) only. */
export type SinkScope = 'all' | 'blocked';

export class EventPipeline {
  private readonly sinks: EventSink[] = [];
  /** Per sink (same index): whether it takes allowed events too. */
  private readonly takesAllowedBy: boolean[] = [];
  /** Events a sink threw on (a bug in a sink must not reach a DNS answer). */
  private readonly failures = new Map<string, number>();

  add(sink: EventSink, scope: SinkScope = 'all'): void {
    this.sinks.push(sink);
    this.takesAllowedBy.push(scope === 'all');
  }

  get size(): number {
    return this.sinks.length;
  }

  /** Sinks that would do something with an event right now (not `idle`). */
  active(): number {
    let n = 0;
    for (const s of this.sinks) if (s.idle !== true) n++;
    return n;
  }

  /**
   * The one sink that takes events right now when there is exactly one (the others idle: the live
   * feed without listeners), else null; `takesAllowed(sink)` says whether it wants allowed events.
   * The DNS side then hands that sink its rows directly when it can (dns-event-ring.ts).
   */
  soleSink(): EventSink | null {
    let sole: EventSink | null = null;
    for (const s of this.sinks) {
      if (s.idle === true) continue;
      if (sole !== null) return null;
      sole = s;
    }
    return sole;
  }

  takesAllowed(sink: EventSink): boolean {
    return this.takesAllowedBy[this.sinks.indexOf(sink)] === true;
  }

  offer(e: PolicyEvent): void {
    const sinks = this.sinks;
    const allowed = e.decision === 'allowed';
    for (let i = 0; i < sinks.length; i++) {
      if (allowed && !this.takesAllowedBy[i]) continue;
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
