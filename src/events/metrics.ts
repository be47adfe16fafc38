// The event pipeline's metrics, read from the sinks' own counters at scrape time.
import { registerPulled } from '../metrics/pulled.ts';
import type { EventPipeline } from './pipeline.ts';
import type { EventStore } from './event-store.ts';

export function registerEventMetrics(pipeline: EventPipeline): void {
  registerPulled({
    name: 'banwall_events_dropped_total',
    help: 'Events a sink lost: its queue or buffer was full, or a write or connection failed.',
    type: 'counter',
    collect: () => pipeline.dropped().map((d) => ({ labels: { sink: d.sink }, value: d.dropped })),
  });
  registerPulled({
    name: 'banwall_events_writer_running',
    help: 'Whether the event store writer thread runs (1); it starts with the first event to store, or when the file an earlier run left needs an upgrade or retention.',
    type: 'gauge',
    collect: () => {
      const store = pipeline.find<EventStore>('store');
      return store === undefined ? [] : [{ labels: {}, value: store.started ? 1 : 0 }];
    },
  });
  registerPulled({
    name: 'banwall_events_stored_total',
    help: 'Events committed to the event store (written; folded: of those, the ones that took no row of their own), and events removed by retention (expired).',
    type: 'counter',
    collect: () => {
      const store = pipeline.find<EventStore>('store');
      if (store === undefined) return [];
      return [
        { labels: { outcome: 'written' }, value: store.written },
        { labels: { outcome: 'folded' }, value: store.folded },
        { labels: { outcome: 'expired' }, value: store.expired },
      ];
    },
  });
}
