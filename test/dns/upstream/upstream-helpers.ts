// Builds upstream resolvers for the upstream tests, and the upstreams they ask, each closed when its
// test ends (`t.after`); decodes their answers with dns2 (slow path, test only). The queries come
// from test/helpers/dns-query.ts.
import dgram from 'node:dgram';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import dns2 from 'dns2';
import { pino } from 'pino';
import { configSchema, type Config } from '../../../src/config/schema.ts';
import type { DnsAnswer, DnsQuery } from '../../../src/dns/resolver.ts';
import { DnsStats } from '../../../src/dns/stats/dns-stats.ts';
import {
  startFakeUpstream,
  type FakeUpstream,
  type FakeUpstreamOptions,
} from '../../helpers/fake-upstream/dns.ts';
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

/** `resolver(dns, opts)`, closed when the test `t` ends. */
export function testResolver(
  t: TestContext,
  dns: Record<string, unknown>,
  opts?: UpstreamResolverOptions,
): UpstreamResolver {
  const r = resolver(dns, opts);
  t.after(() => r.close());
  return r;
}

/** `n` fake upstreams started with `options`, closed when the test `t` ends. */
export async function fakeUpstreams(
  t: TestContext,
  n: number,
  options: FakeUpstreamOptions,
): Promise<FakeUpstream[]> {
  const ups: FakeUpstream[] = [];
  t.after(() => Promise.all(ups.map((u) => u.close())));
  for (let i = 0; i < n; i++) ups.push(await startFakeUpstream(options));
  return ups;
}

/**
 * A bare UDP socket on loopback for a hand-made upstream (the test answers its 'message' events as it
 * likes), closed when the test `t` ends; `url` is the upstream URL that names it.
 */
export async function udpSocketUpstream(t: TestContext): Promise<{ sock: dgram.Socket; url: string }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', res));
  t.after(() => sock.close());
  return { sock, url: `udp://127.0.0.1:${(sock.address() as AddressInfo).port}` };
}

/** A bare TCP server on loopback for a hand-made upstream, closed when the test `t` ends. */
export async function tcpServerUpstream(
  t: TestContext,
  onConnection: (sock: net.Socket) => void,
): Promise<{ url: string }> {
  const server = net.createServer(onConnection);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  t.after(() => new Promise<void>((res) => server.close(() => res())));
  return { url: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}` };
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
