// Publishes banwall_dns_ech_stripped_total at scrape time from the link's plain counter.
import { registerPulled } from '../../metrics/pulled.ts';
import type { EchStrippingResolver } from './ech-stripping-resolver.ts';

/** `link` is null when `dns.stripECH` is off: the metric is still there, at 0. */
export function registerEchMetrics(link: EchStrippingResolver | null): void {
  registerPulled({
    name: 'banwall_dns_ech_stripped_total',
    help: 'Upstream SVCB/HTTPS answers whose ech parameter was removed (dns.stripECH).',
    type: 'counter',
    collect: () => [{ labels: {}, value: link?.stripped ?? 0 }],
  });
}
