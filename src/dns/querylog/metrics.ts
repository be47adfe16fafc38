// The query log's series: banwall_querylog_lines_total{outcome}, read from its counters at scrape time.
import { registerPulled } from '../../metrics/pulled.ts';
import type { QueryLog } from './query-log.ts';

export function registerQueryLogMetrics(queryLog: QueryLog): void {
  registerPulled({
    name: 'banwall_querylog_lines_total',
    help: 'Query-log lines by outcome: written (handed to the destination) or dropped (buffer full).',
    type: 'counter',
    collect: () => [
      { labels: { outcome: 'written' }, value: queryLog.written },
      { labels: { outcome: 'dropped' }, value: queryLog.dropped },
    ],
  });
}
