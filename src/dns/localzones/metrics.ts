// Publishes banwall_dns_local_answers_total at scrape time from the link's plain counter.
import { registerPulled } from '../../metrics/pulled.ts';
import type { LocalZonesResolver } from './local-zones-resolver.ts';

export function registerLocalZonesMetrics(link: LocalZonesResolver | null): void {
  registerPulled({
    name: 'banwall_dns_local_answers_total',
    help: 'Queries for special-use names (localhost, private reverse zones, ...) answered locally.',
    type: 'counter',
    collect: () => [{ labels: {}, value: link?.answered ?? 0 }],
  });
}
