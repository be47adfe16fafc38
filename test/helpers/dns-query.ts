// Builds a DnsQuery (with a real query packet) for unit tests of single chain links, without a front end.
import type { DnsQuery, Protocol } from '../../src/dns/resolver.ts';

export function queryPacket(name: string, qtype: number, id = 0x1234): Buffer {
  const labels = name === '' ? [] : name.split('.');
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l)])),
    Buffer.of(0),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtype, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([header, qname, tail]);
}

export interface QueryOptions {
  readonly name?: string;
  readonly qtype?: number;
  readonly client?: string;
  readonly protocol?: Protocol;
  readonly id?: number;
  readonly received?: number;
}

export function dnsQuery(opts: QueryOptions = {}): DnsQuery {
  const { name = 'example.test', qtype = 1, client = '127.0.0.1', protocol = 'udp', id = 0x1234 } = opts;
  const packet = queryPacket(name, qtype, id);
  return {
    packet,
    id,
    name,
    qtype,
    qclass: 1,
    questionEnd: packet.length,
    rd: true,
    cd: false,
    edns: false,
    udpSize: 512,
    doBit: false,
    cookie: false,
    client,
    protocol,
    received: opts.received ?? performance.now(),
  };
}
