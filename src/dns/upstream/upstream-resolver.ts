// STUB (owned by the upstream helper).
import type { Resolver, DnsQuery, DnsAnswer, MaybePromise } from '../resolver.ts';
import type { Config } from '../../config/schema.ts';
import type { DnsStats } from '../stats/dns-stats.ts';
import type { Logger } from '../../log.ts';

export interface UpstreamHealth {
  readonly url: string;
  readonly healthy: boolean;
  readonly latencyMs: number;
}

export interface UpstreamResolver extends Resolver {
  health(): readonly UpstreamHealth[];
  close(): Promise<void>;
}

export function createUpstreamResolver(
  _cfg: Config['dns'],
  _stats: DnsStats,
  _log: Logger,
): UpstreamResolver {
  return {
    resolve(_q: DnsQuery): MaybePromise<DnsAnswer> {
      throw new Error('not implemented');
    },
    health: () => [],
    close: async () => {},
  };
}
