// Builds DnsQuery objects (through the real front-end parser) and upstream resolvers for the
// upstream tests, and decodes answers with dns2 (slow path, test only).
import dns2 from 'dns2';
import { pino } from 'pino';
import { configSchema, type Config } from '../../../src/config/schema.ts';
import type { DnsAnswer, DnsQuery } from '../../../src/dns/resolver.ts';
import { parseQuery } from '../../../src/dns/wire/parse-query.ts';
import { DnsStats } from '../../../src/dns/stats/dns-stats.ts';
import {
  createUpstreamResolver,
  type UpstreamResolver,
  type UpstreamResolverOptions,
} from '../../../src/dns/upstream/upstream-resolver.ts';

const { Packet } = dns2;

export const TYPES: Record<string, number> = { A: 1, CNAME: 5, MX: 15, TXT: 16, AAAA: 28, HTTPS: 65 };

let nextId = 1;

/** A client query as the front end would parse it. */
export function query(name: string, type = 'A', opts: { edns?: boolean; do?: boolean } = {}): DnsQuery {
  const p = new Packet();
  p.header.id = nextId++ & 0xffff;
  p.header.rd = 1;
  p.questions.push({ name, type: TYPES[type], class: 1 } as never);
  if (opts.edns || opts.do) {
    p.additionals.push({
      name: '',
      type: 41,
      class: 1232,
      ttl: opts.do ? 0x8000 : 0,
      rdata: [],
    } as never);
  }
  const q = parseQuery(p.toBuffer(), '127.0.0.1', 'udp', performance.now());
  if (q === null || !('packet' in q)) throw new Error('test query did not parse');
  return q;
}

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
