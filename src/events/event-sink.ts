// What every destination of events implements: the store, dnstap, syslog, the JSON-lines file. The
// pipeline hands each event to every sink; a sink never blocks, and counts what it could not deliver.
import type { PolicyEvent } from './event.ts';

export interface EventSink {
  /** The `sink` label of banwall_events_dropped_total. */
  readonly name: string;
  /** Called on the serving thread: must not wait, throw or grow without bound. */
  offer(event: PolicyEvent): void;
  /** Events this sink lost (queue overflow, write or connection failures). */
  readonly dropped: number;
  /** Delivers what is buffered (bounded in time) and releases the sink's resources. */
  close(): Promise<void>;
}
