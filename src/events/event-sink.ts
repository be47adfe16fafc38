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
  /** True while the sink would do nothing with an event (the live feed without listeners). */
  readonly idle?: boolean;
  /** Where a sink takes rows directly, skipping the PolicyEvent (the store); null when closed. */
  directRows?(): RowSink | null;
  /** Delivers what is buffered (bounded in time) and releases the sink's resources. */
  close(): Promise<void>;
}

/**
 * A row of the store from its fields (RowRing.push; RepeatFolder.push folds repeats first): the DNS
 * side's way in, with no PolicyEvent. `source` is the rule's file and `line` its line, or the whole
 * `file:line` with `line` -1; `count` events up to `last` (1 and `time` for one event).
 */
export interface RowSink {
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
  ): void;
}

/** A whole event into `sink` as one row standing for `count` events up to `last`. */
export function pushEvent(sink: RowSink, e: PolicyEvent, last: number, count: number): void {
  sink.push(
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
