// What the classic front ends (UDP and TCP) of one DnsServer share, built once by the server: the
// chain they ask, where they count what they answer themselves, the answers in flight a graceful
// stop waits for, and DNS cookies.
import type { Resolver } from '../resolver.ts';
import type { DnsStats } from '../stats/dns-stats.ts';
import type { ServerCookies } from '../wire/server-cookie.ts';
import type { FrontendCounters } from './frontend-counters.ts';
import type { InFlight } from './in-flight.ts';

export interface FrontDeps {
  readonly resolver: Resolver;
  /** FORMERR and SERVFAIL the front end answers itself (`recordFrontend`). */
  readonly stats: DnsStats;
  readonly counters: FrontendCounters;
  readonly inFlight: InFlight;
  /** `dns.cookies`; null when off. */
  readonly cookies: ServerCookies | null;
}
