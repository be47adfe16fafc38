// The metric families issue 5 names, for the tests that check a scrape and the dashboard against it.
export const ISSUE_METRICS: readonly string[] = [
  'banwall_dns_queries_total',
  'banwall_dns_blocked_total',
  'banwall_dns_request_duration_seconds',
  'banwall_dns_cache_hits_total',
  'banwall_dns_cache_misses_total',
  'banwall_dns_cache_entries',
  'banwall_dns_cache_bytes',
  'banwall_dns_prefetches_total',
  'banwall_dns_upstream_requests_total',
  'banwall_dns_upstream_errors_total',
  'banwall_dns_upstream_duration_seconds',
  'banwall_dns_upstream_healthy',
  'banwall_list_entries',
  'banwall_list_last_success_timestamp_seconds',
  'banwall_list_refresh_failures_total',
  'banwall_config_reloads_total',
  'banwall_build_info',
  'banwall_proxy_requests_total',
  'banwall_proxy_blocked_total',
];

/** Histograms among them: a dashboard charts their `_bucket` series. */
export const HISTOGRAMS: ReadonlySet<string> = new Set([
  'banwall_dns_request_duration_seconds',
  'banwall_dns_upstream_duration_seconds',
]);
