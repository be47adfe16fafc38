// The one DNS query builder of the tests: a query packet as a stub resolver sends it (`queryPacket`), the
// DnsQuery the front end would make of it (`parsedQuery`, through the real parser), and a DnsQuery
// built by hand for unit tests of single chain links without a front end (`dnsQuery`).
// Every builder takes (name, qtype, options); qtype is a number or a mnemonic ('AAAA').
import type { DnsQuery, Protocol } from '../../src/dns/resolver.ts';
import { parseQuery } from '../../src/dns/wire/parse-query.ts';
import { QTYPE_NUMBERS } from '../../src/dns/wire/qtypes.ts';

export type QType = number | string;

/** An OPT record appended by hand, so every field is the test's. */
export interface EdnsOptions {
  readonly size?: number;
  readonly version?: number;
  readonly do?: boolean;
  readonly options?: Buffer;
}

export interface PacketOptions {
  readonly id?: number;
  readonly edns?: EdnsOptions;
}

function qtypeNumber(qtype: QType): number {
  if (typeof qtype === 'number') return qtype;
  const n = QTYPE_NUMBERS[qtype.toUpperCase()];
  if (n === undefined) throw new Error(`unknown qtype ${qtype}`);
  return n;
}

/** A query packet (RD set, class IN) for `name`; '' is the root. */
export function queryPacket(name: string, qtype: QType = 1, opts: PacketOptions = {}): Buffer {
  const labels = name === '' ? [] : name.split('.');
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.of(l.length), Buffer.from(l)])),
    Buffer.of(0),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(opts.id ?? 0x1234, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(qtypeNumber(qtype), 0);
  tail.writeUInt16BE(1, 2);
  const packet = Buffer.concat([header, qname, tail]);
  if (!opts.edns) return packet;
  const e = opts.edns;
  const rdata = e.options ?? Buffer.alloc(0);
  const opt = Buffer.alloc(11 + rdata.length);
  opt.writeUInt16BE(41, 1);
  opt.writeUInt16BE(e.size ?? 1232, 3);
  opt[6] = e.version ?? 0;
  opt[7] = e.do ? 0x80 : 0;
  opt.writeUInt16BE(rdata.length, 9);
  rdata.copy(opt, 11);
  const withOpt = Buffer.concat([packet, opt]);
  withOpt.writeUInt16BE(1, 10);
  return withOpt;
}

export interface ParsedQueryOptions extends PacketOptions {
  readonly client?: string;
  readonly protocol?: Protocol;
  readonly received?: number;
}

let nextId = 1;

/** A client query as the front end parses it; a fresh id per query unless `id` is given. */
export function parsedQuery(name: string, qtype: QType = 1, opts: ParsedQueryOptions = {}): DnsQuery {
  const packet = queryPacket(name, qtype, { ...opts, id: opts.id ?? nextId++ & 0xffff });
  const q = parseQuery(
    packet,
    opts.client ?? '127.0.0.1',
    opts.protocol ?? 'udp',
    opts.received ?? performance.now(),
  );
  if (q === null || !('packet' in q)) throw new Error(`test query for ${name} did not parse`);
  return q;
}

export interface DnsQueryOptions {
  readonly id?: number;
  readonly client?: string;
  readonly protocol?: Protocol;
  readonly received?: number;
}

/** A DnsQuery built by hand (no EDNS, RD set), for a link under test alone. */
export function dnsQuery(name = 'example.test', qtype: QType = 1, opts: DnsQueryOptions = {}): DnsQuery {
  const { client = '127.0.0.1', protocol = 'udp', id = 0x1234 } = opts;
  const packet = queryPacket(name, qtype, { id });
  return {
    packet,
    id,
    name,
    qtype: qtypeNumber(qtype),
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
