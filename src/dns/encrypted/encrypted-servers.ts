// STUB (owned by the deployment helper): DNS over TLS (RFC 7858) and DNS over HTTPS (RFC 8484).
import type { Resolver } from '../resolver.ts';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';

export class EncryptedDnsServers {
  constructor(_resolver: Resolver, _cfg: Config['dns'], _dir: string, _log: Logger) {}
  async start(): Promise<void> {}
  async stop(_graceMs: number): Promise<void> {}
}
