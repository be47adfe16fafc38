// STUB (owned by the DNS core helper): UDP and TCP front ends on every listen address.
import type { Resolver } from '../resolver.ts';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { DnsStats } from '../stats/dns-stats.ts';

export class DnsServer {
  constructor(_resolver: Resolver, _cfg: Config['dns'], _stats: DnsStats, _log: Logger) {}
  /** Binds every listen address (UDP and TCP); rejects if any cannot be bound. */
  async start(): Promise<void> {}
  /** Bound addresses, for logs and tests (port 0 resolves to the real port). */
  addresses(): { protocol: 'udp' | 'tcp'; host: string; port: number }[] {
    return [];
  }
  /** Stops accepting, answers what is in flight (up to `graceMs`), then closes. */
  async stop(_graceMs: number): Promise<void> {}
}
