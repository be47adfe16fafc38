// The resolver chain, assembled in one place so that the order of concerns reads top to bottom
// (Blocky's createQueryResolver). Adding a concern is adding a line here and a folder beside it.
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { PolicyStore } from '../policy/store.ts';
import type { Resolver } from './resolver.ts';
import type { DnsStats } from './stats/dns-stats.ts';
import type { DnsEventRing } from './querylog/dns-event-ring.ts';
import { StatsResolver } from './stats/stats-resolver.ts';
import { QueryLoggingResolver } from './querylog/query-logging-resolver.ts';
import { AclResolver } from './acl/acl-resolver.ts';
import { RateLimitingResolver } from './ratelimit/rate-limiting-resolver.ts';
import { AnyResolver } from './ratelimit/any-resolver.ts';
import { BlockingResolver } from './blocking/blocking-resolver.ts';
import { CachingResolver } from './cache/caching-resolver.ts';
import { LocalZonesResolver } from './localzones/local-zones-resolver.ts';
import { EchStrippingResolver } from './ech/ech-stripping-resolver.ts';
import { createUpstreamResolver, type UpstreamResolver } from './upstream/upstream-resolver.ts';
import { ProbeBypass, ProbeFence } from './probes/probe-links.ts';

export interface ChainDeps {
  readonly config: Config;
  readonly policy: PolicyStore;
  readonly stats: DnsStats;
  /** Where answers become events (store, query-log file, streams); null records none. */
  readonly queryLog: DnsEventRing | null;
  readonly log: Logger;
}

export interface Chain {
  /** The top of the chain: what the front ends (UDP, TCP, DoT, DoH) and the proxy ask. */
  readonly resolver: Resolver;
  readonly cache: CachingResolver;
  readonly upstream: UpstreamResolver;
  /** null when `dns.stripECH` is off. */
  readonly ech: EchStrippingResolver | null;
  /** null when `dns.localZones` is off. */
  readonly localZones: LocalZonesResolver | null;
  close(): Promise<void>;
}

export function createQueryResolver(deps: ChainDeps): Chain {
  const { config, policy, stats, log } = deps;
  const dns = config.dns;

  const upstream = createUpstreamResolver(dns, stats, log);
  // Below the cache: what the cache stores is already stripped, so hits cost nothing extra.
  const ech = dns.stripECH ? new EchStrippingResolver(upstream) : null;
  const cache = new CachingResolver(ech ?? upstream, dns.cache, stats);
  let r: Resolver = cache;
  const local = dns.localZones.enabled
    ? new LocalZonesResolver(r, dns.localZones, Object.keys(dns.forward))
    : null;
  if (local) r = local;
  r = new AnyResolver(r, dns.any);
  // Canary probes (src/canary) never get past the blocking link, nor into the counters above it.
  const probeSource = config.canaries.enabled ? config.canaries.source : null;
  if (probeSource !== null) r = new ProbeFence(r, probeSource);
  // Blocking above ANY: a blocked name gets the block answer for every type, ANY included (issue 12).
  r = new BlockingResolver(r, policy, config.blocking);
  // Probes are banwall's own: not rate-limited, not counted, not logged.
  const uncounted = r;
  if (dns.rateLimit) r = new RateLimitingResolver(r, dns.rateLimit, stats);
  r = new AclResolver(r, dns.allowedClients);
  if (deps.queryLog) r = new QueryLoggingResolver(r, deps.queryLog);
  r = new StatsResolver(r, stats);
  if (probeSource !== null) r = new ProbeBypass(r, uncounted, probeSource);

  // The cache sits below the blocking link and holds only upstream answers, whose CNAME targets and
  // addresses the blocking link re-checks on every hit: a policy swap needs no cache flush.

  return {
    resolver: r,
    cache,
    upstream,
    ech,
    localZones: local,
    close: async () => {
      await upstream.close();
    },
  };
}
