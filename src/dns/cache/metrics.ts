// Publishes the cache's counters at scrape time: banwall_dns_cache_hits_total,
// banwall_dns_cache_misses_total, banwall_dns_cache_entries, banwall_dns_cache_bytes,
// banwall_dns_prefetches_total. The cache counts in plain numbers; nothing here runs per query.
import { registerPulled } from '../../metrics/pulled.ts';
import type { CachingResolver } from './caching-resolver.ts';

/** Publishes `cache` (replacing any cache published before in this process). Call once per app. */
export function registerCacheMetrics(cache: CachingResolver): void {
  const one = (name: string, help: string, type: 'counter' | 'gauge', value: () => number) =>
    registerPulled({ name, help, type, collect: () => [{ labels: {}, value: value() }] });
  one('banwall_dns_cache_hits_total', 'DNS answers served from the cache.', 'counter', () => cache.hits);
  one(
    'banwall_dns_cache_misses_total',
    'DNS queries the cache passed to the upstreams.',
    'counter',
    () => cache.misses,
  );
  one('banwall_dns_cache_entries', 'Answers held in the DNS cache.', 'gauge', () => cache.size.entries);
  one('banwall_dns_cache_bytes', 'Estimated bytes held by the DNS cache.', 'gauge', () => cache.size.bytes);
  one(
    'banwall_dns_prefetches_total',
    'Background refreshes of cached names that are asked often and about to expire.',
    'counter',
    () => cache.prefetches,
  );
}
