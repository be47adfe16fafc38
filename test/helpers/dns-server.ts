// Starts a real DnsServer on 127.0.0.1:0 in front of a small in-process resolver, for the front-end
// tests: the chain is a stub, so what is tested is the server and the wire code.
import dns2 from 'dns2';
import { pino } from 'pino';
import { configSchema, type Config } from '../../src/config/schema.ts';
import { DnsServer } from '../../src/dns/server/dns-server.ts';
import { DnsStats } from '../../src/dns/stats/dns-stats.ts';
import type { DnsAnswer, DnsQuery, MaybePromise, Resolver } from '../../src/dns/resolver.ts';
import { skipName } from '../../src/dns/wire/parse-query.ts';
import { soa } from './fake-upstream/dns.ts';

const { Packet } = dns2;

export function dnsConfig(dns: Record<string, unknown> = {}): Config['dns'] {
  return configSchema.parse({
    dns: { listen: ['127.0.0.1:0'], upstreams: ['udp://127.0.0.1:9'], ...dns },
  }).dns;
}

type Rec = Record<string, unknown> & { type: number };

/** Answers from a table with dns2's encoder (the slow path is not under test here). */
export class StubResolver implements Resolver {
  readonly zone = new Map<string, Rec[]>();
  readonly seen: DnsQuery[] = [];
  /** name → milliseconds before the answer. */
  readonly delays = new Map<string, number>();
  throwSync = false;
  reject = false;
  servfail = false;

  add(name: string, rec: Rec): this {
    const list = this.zone.get(name) ?? [];
    list.push({ name, class: 1, ttl: 300, ...rec });
    this.zone.set(name, list);
    return this;
  }

  resolve(q: DnsQuery): MaybePromise<DnsAnswer> {
    this.seen.push(q);
    if (this.throwSync) throw new Error('boom');
    if (this.reject) return Promise.reject(new Error('boom'));
    const answer = this.answer(q);
    const delay = this.delays.get(q.name) ?? 0;
    if (delay > 0) return new Promise((r) => setTimeout(() => r(answer), delay));
    return answer;
  }

  /** Like an upstream answer: wire without OPT, TTL offsets, the minimum TTL (SOA for negatives). */
  answer(q: DnsQuery): DnsAnswer {
    const res = new Packet();
    res.header.id = q.id;
    res.header.qr = 1;
    res.header.ra = 1;
    res.header.rd = q.rd ? 1 : 0;
    res.questions.push({ name: q.name, type: q.qtype, class: q.qclass } as never);
    if (this.servfail) {
      res.header.rcode = 2;
      return { wire: res.toBuffer(), result: 'servfail' };
    }
    const recs = (this.zone.get(q.name) ?? []).filter((r) => r.type === q.qtype);
    for (const r of recs) res.answers.push(r as never);
    if (!this.zone.has(q.name)) res.header.rcode = 3;
    if (recs.length === 0) res.authorities.push(soa('test', 60) as never);
    const wire = res.toBuffer();
    const ttl = Math.min(...[...res.answers, ...res.authorities].map((r) => (r as { ttl: number }).ttl));
    return {
      wire,
      result: 'allowed',
      ttl,
      ttlOffsets: ttlOffsetsOf(wire),
      facts: { targets: [], addresses: [] },
    };
  }
}

export const silentLog = pino({ level: 'silent' });

export async function startServer(
  resolver: Resolver,
  dns: Record<string, unknown> = {},
): Promise<{ server: DnsServer; port: number; stats: DnsStats }> {
  const stats = new DnsStats();
  const server = new DnsServer(resolver, dnsConfig(dns), stats, silentLog);
  await server.start();
  return { server, port: server.addresses()[0].port, stats };
}

/** Walks the records after the question and returns the offset of each TTL. */
export function ttlOffsetsOf(wire: Buffer): Uint16Array {
  const offsets: number[] = [];
  let pos = skipName(wire, 12) + 4;
  const n = wire.readUInt16BE(6) + wire.readUInt16BE(8) + wire.readUInt16BE(10);
  for (let i = 0; i < n; i++) {
    pos = skipName(wire, pos);
    offsets.push(pos + 4);
    pos += 10 + wire.readUInt16BE(pos + 8);
  }
  return Uint16Array.from(offsets);
}
