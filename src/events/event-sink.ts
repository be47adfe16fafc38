// What every destination of events implements: the store, dnstap, syslog, the JSON-lines file. The
// pipeline hands each event to every sink; a sink never blocks, and counts what it could not deliver.
import type { PolicyEvent } from './event.ts';
import type { RowRing } from './row-ring.ts';

export interface EventSink {
  /** The `sink` label of banwall_events_dropped_total. */
  readonly name: string;
  /** Called on the serving thread: must not wait, throw or grow without bound. */
  offer(event: PolicyEvent): void;
  /** Events this sink lost (queue overflow, write or connection failures). */
  readonly dropped: number;
  /** True while the sink would do nothing with an event (the live feed without listeners). */
  readonly idle?: boolean;
  /** The ring a sink takes rows into directly, skipping the PolicyEvent (the store); null when closed. */
  directRows?(): RowRing | null;
  /** Delivers what is buffered (bounded in time) and releases the sink's resources. */
  close(): Promise<void>;
}
