// STUB (owned by the proxy helper): the HTTP forward proxy on `proxy.listen`.
import type { Config } from '../config/schema.ts';
import type { PolicyStore } from '../policy/store.ts';
import type { Resolver } from '../dns/resolver.ts';
import type { Logger } from '../log.ts';
import type { ProxyStats } from './proxy-stats.ts';

export class ProxyServer {
  constructor(
    _cfg: NonNullable<Config['proxy']>,
    _policy: PolicyStore,
    _resolver: Resolver,
    _stats: ProxyStats,
    _log: Logger,
  ) {}
  async start(): Promise<void> {}
  addresses(): { host: string; port: number }[] {
    return [];
  }
  async stop(_graceMs: number): Promise<void> {}
}
