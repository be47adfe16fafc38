// A small authoritative DNS server on loopback (UDP and TCP) for tests: answers from a zone table,
// counts queries, and can be told to go silent, answer slowly or answer garbage.
import dgram from 'node:dgram';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import dns2 from 'dns2';

const { Packet } = dns2;

export interface FakeRecord {
  type: 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'NS' | 'SOA' | 'HTTPS';
  ttl?: number;
  /** A/AAAA address, CNAME/NS target, TXT text; MX as `10 mail.example`. */
  data: string;
}

export interface FakeUpstreamOptions {
  /** name (lower-case, no trailing dot) → records. Names not here get NXDOMAIN with a SOA. */
  zone?: Record<string, FakeRecord[]>;
  host?: string;
  /** A fixed port (UDP and TCP), e.g. to restart an upstream where it was; default: a free one. */
  port?: number;
  /** UDP answers longer than this get TC set and are cut to the question (default 512 / EDNS size). */
  udpLimit?: number;
  /** Answer as an authoritative server does: AA set, RA clear (default: AA and RA set). */
  authoritative?: boolean;
  /** Set AD on every answer, as a validating upstream does for a signed zone. */
  ad?: boolean;
}

export interface FakeUpstream {
  readonly host: string;
  readonly port: number;
  /** `udp://host:port` */
  readonly url: string;
  readonly queries: { name: string; type: number; protocol: 'udp' | 'tcp' }[];
  zone: Record<string, FakeRecord[]>;
  mode: 'answer' | 'silent' | 'garbage' | 'servfail';
  delayMs: number;
  close(): Promise<void>;
}

/**
 * The queries clients caused: all but banwall's own health probes (the root NS, asked every
 * `dns.healthProbe.interval` whatever the clients do), which a count taken across a few seconds meets.
 */
export function clientQueries(up: FakeUpstream): number {
  return clientQueryNames(up).length;
}

/** The names of clientQueries, in the order asked. */
export function clientQueryNames(up: FakeUpstream): string[] {
  const names: string[] = [];
  for (const q of up.queries) if (!(q.type === 2 && (q.name === '' || q.name === '.'))) names.push(q.name);
  return names;
}

const TYPE: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, HTTPS: 65 };

/** The SOA record a negative answer carries in its authority section. */
export function soa(zoneName: string, ttl = 300) {
  return {
    name: zoneName,
    type: Packet.TYPE.SOA,
    class: Packet.CLASS.IN,
    ttl,
    primary: 'ns.test',
    admin: 'hostmaster.test',
    serial: 1,
    refresh: 3600,
    retry: 600,
    expiration: 86400,
    minimum: 60,
  };
}

function buildAnswer(query: Buffer, up: FakeUpstream): Buffer {
  const req = Packet.parse(query);
  const q = req.questions[0];
  const res = new Packet(req);
  res.header.qr = 1;
  res.header.aa = 1;
  res.header.ra = 1;
  res.additionals = [];
  if (!q) return res.toBuffer();
  const name = q.name.toLowerCase().replace(/\.$/, '');
  let records = up.zone[name];
  if (!records) {
    res.header.rcode = 3;
    res.authorities.push(soa('test') as never);
    return res.toBuffer();
  }
  // Follow CNAMEs inside the zone, as an authoritative server of one zone would.
  let owner = name;
  for (let hops = 0; hops < 8 && records; hops++) {
    const cname = records.find((r) => r.type === 'CNAME');
    for (const r of records) {
      if (r.type !== 'CNAME' && TYPE[r.type] !== q.type && q.type !== 255) continue;
      res.answers.push(toRR(owner, r) as never);
    }
    if (!cname || q.type === TYPE.CNAME) break;
    res.answers.push(toRR(owner, cname) as never);
    owner = cname.data.toLowerCase();
    records = up.zone[owner];
  }
  if (res.answers.length === 0) res.authorities.push(soa('test') as never);
  return res.toBuffer();
}

function toRR(name: string, r: FakeRecord) {
  const base = { name, class: Packet.CLASS.IN, ttl: r.ttl ?? 300 };
  switch (r.type) {
    case 'A':
      return { ...base, type: Packet.TYPE.A, address: r.data };
    case 'AAAA':
      return { ...base, type: Packet.TYPE.AAAA, address: r.data };
    case 'CNAME':
      return { ...base, type: Packet.TYPE.CNAME, domain: r.data };
    case 'NS':
      return { ...base, type: Packet.TYPE.NS, ns: r.data };
    case 'MX': {
      const [pref, exchange] = r.data.split(' ');
      return { ...base, type: Packet.TYPE.MX, priority: Number(pref), exchange };
    }
    case 'TXT':
      return { ...base, type: Packet.TYPE.TXT, data: r.data };
    default:
      throw new Error(`fake upstream cannot encode ${r.type}`);
  }
}

export async function startFakeUpstream(opts: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const host = opts.host ?? '127.0.0.1';
  let udp = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: 4 << 20 });
  const tcp = net.createServer();
  const sockets = new Set<net.Socket>();
  const up: FakeUpstream = {
    host,
    port: 0,
    url: '',
    queries: [],
    zone: opts.zone ?? {},
    mode: 'answer',
    delayMs: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
    },
  };

  const respond = (query: Buffer, protocol: 'udp' | 'tcp', send: (b: Buffer) => void) => {
    let answer: Buffer;
    try {
      const p = Packet.parse(query);
      up.queries.push({
        name: (p.questions[0]?.name ?? '').toLowerCase(),
        type: p.questions[0]?.type ?? 0,
        protocol,
      });
      if (up.mode === 'silent') return;
      if (up.mode === 'garbage') {
        answer = Buffer.from([query[0], query[1], 0xde, 0xad, 0xbe, 0xef]);
      } else {
        answer = buildAnswer(query, up);
        if (up.mode === 'servfail') answer.writeUInt16BE((answer.readUInt16BE(2) & 0xfff0) | 2, 2);
        if (opts.authoritative) answer[3] &= ~0x80;
        if (opts.ad) answer[3] |= 0x20;
      }
    } catch {
      return;
    }
    if (protocol === 'udp') {
      const limit = opts.udpLimit ?? 512;
      if (answer.length > limit) {
        // Truncate: header and question only, TC set.
        const qEnd = 12 + query.subarray(12).indexOf(0) + 5;
        const cut = Buffer.from(answer.subarray(0, qEnd));
        cut.writeUInt16BE(cut.readUInt16BE(2) | 0x0200, 2);
        cut.writeUInt16BE(0, 6);
        cut.writeUInt16BE(0, 8);
        cut.writeUInt16BE(0, 10);
        answer = cut;
      }
    }
    // A delayed answer may fall due after close(): sending on a closed socket throws.
    if (up.delayMs > 0)
      setTimeout(() => {
        try {
          send(answer);
        } catch {
          // closed meanwhile
        }
      }, up.delayMs);
    else send(answer);
  };

  const onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo) =>
    respond(msg, 'udp', (b) => udp.send(b, rinfo.port, rinfo.address));
  udp.on('message', onMessage);
  tcp.on('connection', (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        respond(Buffer.from(msg), 'tcp', (b) => {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(b.length);
          if (!sock.destroyed) sock.write(Buffer.concat([len, b]));
        });
      }
    });
  });
  // Same port number for UDP and TCP, as a real server has.
  for (let attempt = 0; ; attempt++) {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(opts.port ?? 0, host, () => resolve());
    });
    const port = (udp.address() as AddressInfo).port;
    const ok = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, host, () => resolve(true));
    });
    if (ok) break;
    if (attempt > 20 || opts.port !== undefined) throw new Error('cannot bind fake upstream');
    await new Promise<void>((r) => udp.close(() => r()));
    // A closed dgram socket cannot bind again: take a new one.
    udp = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4', recvBufferSize: 4 << 20 });
    udp.on('message', onMessage);
  }
  const port = (udp.address() as AddressInfo).port;
  Object.assign(up, { port, url: `udp://${net.isIPv6(host) ? `[${host}]` : host}:${port}` });
  return up;
}
