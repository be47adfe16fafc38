// One query-log line: a JSON object per line, built on the flush path (never per query).
import type { BlockMatch } from '../../policy/snapshot.ts';
import type { Protocol, Result } from '../resolver.ts';

const TYPE_NAMES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  35: 'NAPTR',
  43: 'DS',
  48: 'DNSKEY',
  64: 'SVCB',
  65: 'HTTPS',
  255: 'ANY',
  257: 'CAA',
};

export function typeName(qtype: number): string {
  return TYPE_NAMES[qtype] ?? `TYPE${qtype}`;
}

export interface LogRecord {
  /** Epoch ms when the query arrived. */
  time: number;
  client: string;
  name: string;
  qtype: number;
  protocol: Protocol;
  result: Result;
  block: BlockMatch | undefined;
}

export function formatLine(r: LogRecord): string {
  const line: Record<string, unknown> = {
    time: new Date(r.time).toISOString(),
    client: r.client,
    name: r.name,
    type: typeName(r.qtype),
    protocol: r.protocol,
    result: r.result,
  };
  if (r.block !== undefined) {
    const rule = r.block.rule;
    line.app = rule.app;
    line.category = rule.category;
    line.list = rule.list;
    line.rule = rule.rule;
    line.source = `${rule.source}:${rule.line}`;
    line.group = r.block.group;
  }
  return `${JSON.stringify(line)}\n`;
}
