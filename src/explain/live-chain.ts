// The part of the resolver chain a live answer comes through: the local zones (special-use names
// such as localhost and the private reverse zones are answered by banwall itself, never sent
// upstream) over the upstream link, without the cache (the answer is fresh) and without the policy
// (followLive judges it, as the blocking link would). The order is chain.ts's.
import type { Config } from '../config/schema.ts';
import type { Resolver } from '../dns/resolver.ts';
import { LocalZonesResolver } from '../dns/localzones/local-zones-resolver.ts';

export interface LiveChain {
  readonly resolver: Resolver;
  /** Its `answered` count tells whether a query was answered locally; null when local zones are off. */
  readonly local: LocalZonesResolver | null;
}

/** `upstream`: the upstream link (or what sits directly on it below the cache, e.g. ECH stripping). */
export function liveChain(dns: Config['dns'], upstream: Resolver): LiveChain {
  if (!dns.localZones.enabled) return { resolver: upstream, local: null };
  const local = new LocalZonesResolver(upstream, dns.localZones, Object.keys(dns.forward));
  return { resolver: local, local };
}
