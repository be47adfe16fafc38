// Builds a DnsQuery for unit tests of single chain links, without a front end.
import type { DnsQuery, DnsAnswer, Resolver } from '../../src/dns/resolver.ts';

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

export function makeQuery(client: string, name = 'example.test', qtype = 1, received = 0): DnsQuery {
  const packet = queryPacket(name, qtype);
  return {
    packet,
    id: 0x1234,
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
    protocol: 'udp',
    received,
  };
}

/** The link below the one under test: answers NOERROR and counts what reached it. */
export class CountingResolver implements Resolver {
  calls = 0;
  resolve(query: DnsQuery): DnsAnswer {
    this.calls++;
    const wire = Buffer.from(query.packet);
    wire[2] |= 0x80;
    return { wire, result: 'allowed' };
  }
}
