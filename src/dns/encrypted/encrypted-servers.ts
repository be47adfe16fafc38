// Encrypted DNS for devices: DoT (`dns.dot`) and DoH (`dns.doh`), each optional, both asking the
// same resolver chain as UDP and TCP. Each owns its certificate files and serves a renewed pair
// without a restart.
import type { Resolver } from '../resolver.ts';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { DnsStats } from '../stats/dns-stats.ts';
import { CertFiles } from './cert-files.ts';
import { DotServer } from './dot-server.ts';
import { DohServer } from './doh-server.ts';

export class EncryptedDnsServers {
  private readonly resolver: Resolver;
  private readonly cfg: Config['dns'];
  private readonly dir: string;
  private readonly log: Logger;
  private readonly stats: DnsStats | null;
  private dot?: DotServer;
  private doh?: DohServer;
  private readonly certs: CertFiles[] = [];

  /** `stats` counts what the front ends answer themselves (FORMERR, SERVFAIL after a failure). */
  constructor(resolver: Resolver, cfg: Config['dns'], dir: string, log: Logger, stats?: DnsStats) {
    this.resolver = resolver;
    this.cfg = cfg;
    this.dir = dir;
    this.log = log;
    this.stats = stats ?? null;
  }

  async start(): Promise<void> {
    const { idleTimeout, maxConnections, maxConnectionsPerClient } = this.cfg.tcp;
    const limits = { idleTimeout, maxConnections, maxConnectionsPerClient };
    const front = { resolver: this.resolver, stats: this.stats, limits, log: this.log };
    if (this.cfg.dot) {
      const certs = new CertFiles(this.dir, this.cfg.dot.cert, this.cfg.dot.key, this.log);
      this.certs.push(certs);
      const dot = new DotServer({ ...front, listen: this.cfg.dot.listen });
      this.dot = dot;
      await dot.start(await certs.load());
      certs.onChange((pair) => dot.setKeyPair(pair));
    }
    if (this.cfg.doh) {
      const certs = new CertFiles(this.dir, this.cfg.doh.cert, this.cfg.doh.key, this.log);
      this.certs.push(certs);
      const doh = new DohServer({ ...front, listen: this.cfg.doh.listen, path: this.cfg.doh.path });
      this.doh = doh;
      await doh.start(await certs.load());
      certs.onChange((pair) => doh.setKeyPair(pair));
    }
    this.log.info({ dot: this.dot?.addresses() ?? [], doh: this.addresses().doh }, 'encrypted DNS listening');
  }

  /** Bound addresses (port 0 resolved), for logs and tests. */
  addresses(): {
    dot: { host: string; port: number }[];
    doh: { host: string; port: number; path: string }[];
  } {
    const path = this.cfg.doh?.path ?? '/dns-query';
    return {
      dot: this.dot?.addresses() ?? [],
      doh: (this.doh?.addresses() ?? []).map((a) => ({ ...a, path })),
    };
  }

  async stop(graceMs: number): Promise<void> {
    for (const c of this.certs) c.close();
    await Promise.all([this.dot?.stop(graceMs), this.doh?.stop(graceMs)]);
  }
}
