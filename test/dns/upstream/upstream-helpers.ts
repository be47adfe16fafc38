// Builds upstream resolvers for the upstream tests and decodes their answers with dns2 (slow path,
// test only); the queries come from test/helpers/dns-query.ts.
import dns2 from 'dns2';
import { pino } from 'pino';
import { configSchema, type Config } from '../../../src/config/schema.ts';
import type { DnsAnswer, DnsQuery } from '../../../src/dns/resolver.ts';
import { DnsStats } from '../../../src/dns/stats/dns-stats.ts';
import {
  createUpstreamResolver,
  type UpstreamResolver,
  type UpstreamResolverOptions,
} from '../../../src/dns/upstream/upstream-resolver.ts';

const { Packet } = dns2;

export function upstreamConfig(dns: Record<string, unknown>): Config['dns'] {
  return configSchema.parse({ dns: { listen: ['127.0.0.1:0'], ...dns } }).dns;
}

export const silentLog = pino({ level: 'silent' });

export function resolver(dns: Record<string, unknown>, opts?: UpstreamResolverOptions): UpstreamResolver {
  return createUpstreamResolver(upstreamConfig(dns), new DnsStats(), silentLog, opts);
}

export interface Decoded {
  rcode: number;
  answers: { name: string; type: number; ttl: number; [k: string]: unknown }[];
  authorities: { type: number; ttl: number }[];
  additionals: { type: number }[];
}

export function decode(a: DnsAnswer): Decoded {
  const p = Packet.parse(a.wire) as unknown as Decoded & { header: { rcode: number } };
  return {
    rcode: p.header.rcode,
    answers: p.answers,
    authorities: p.authorities,
    additionals: p.additionals,
  };
}

export async function resolve(r: UpstreamResolver, q: DnsQuery): Promise<DnsAnswer> {
  return await r.resolve(q);
}
