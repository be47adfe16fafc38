// STUB (owned by the observability helper): buffered JSON-lines query log.
import type { DnsQuery, DnsAnswer } from '../dns/resolver.ts';

import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';

export class QueryLog {
  constructor(_cfg: Config['queryLog'], _dir: string, _log: Logger) {}
  write(_query: DnsQuery, _answer: DnsAnswer): void {}
  async close(): Promise<void> {}
}
