// The query log's series: banwall_querylog_lines_total{outcome}, read at scrape time from the
// JSON-lines sink and from the ring that feeds every sink (a full ring drops before any sink sees it).
import { registerPulled } from '../../metrics/pulled.ts';
import type { JsonLinesSink } from '../../events/jsonl-sink.ts';
import type { DnsEventRing } from './dns-event-ring.ts';

export function registerQueryLogMetrics(ring: DnsEventRing, file: JsonLinesSink | undefined): void {
  registerPulled({
    name: 'banwall_querylog_lines_total',
    help: 'Query-log lines by outcome: written (handed to the destination) or dropped (buffer full).',
    type: 'counter',
    collect: () => [
      { labels: { outcome: 'written' }, value: file?.written ?? 0 },
      { labels: { outcome: 'dropped' }, value: ring.dropped + (file?.dropped ?? 0) },
    ],
  });
}
