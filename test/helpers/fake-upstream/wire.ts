// A loopback DNS server (UDP and TCP, one port) whose answers are written record by record as wire
// bytes, for record types and encodings the dns2-based fake upstream cannot produce: SVCB/HTTPS with
// SvcParams, SRV, names compressed or not. Each record's rdata is built by a function that receives
// the offset it will be written at, so a test can point compression pointers anywhere before it.
import dgram from 'node:dgram';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface WireRecord {
  /** Owner name; undefined = a pointer to the question name (0xC00C). */
  readonly owner?: string;
  /** Owner as wire bytes (a pointer, say), built when the record is written; wins over `owner`. */
  readonly ownerBytes?: () => Buffer;
  readonly type: number;
  readonly ttl?: number;
  /** rdata bytes; `at` is the offset in the message where the rdata starts. */
  readonly rdata: (at: number) => Buffer;
}

export interface WireAnswer {
  readonly rcode?: number;
  readonly answers?: readonly WireRecord[];
  readonly authority?: readonly WireRecord[];
}

/** name → (qtype → answer); a qtype of 0 answers every type. Unknown names: NXDOMAIN, no SOA. */
export type WireZone = Record<string, Record<number, WireAnswer>>;

export interface WireUpstream {
  readonly port: number;
  readonly url: string;
  zone: WireZone;
  readonly queries: { name: string; type: number }[];
  close(): Promise<void>;
}

/** A name in wire form, uncompressed. */
export function wireName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const l of name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.')) {
    parts.push(Buffer.of(l.length), Buffer.from(l, 'latin1'));
  }
  parts.push(Buffer.of(0));
  return Buffer.concat(parts);
}

/** A compression pointer to `offset`. */
export function pointer(offset: number): Buffer {
  return Buffer.of(0xc0 | (offset >> 8), offset & 0xff);
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** SVCB/HTTPS rdata: priority, target (wire bytes), params as [key, value] in the given order. */
export function svcbRdata(priority: number, target: Buffer, params: [number, Buffer][]): Buffer {
  const parts = [u16(priority), target];
  for (const [k, v] of params) parts.push(u16(k), u16(v.length), v);
  return Buffer.concat(parts);
}

export function ipv4Bytes(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

export function ipv6Bytes(a: string): Buffer {
  const [head, tail = ''] = a.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = a.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

function questionOf(q: Buffer): { name: string; type: number; end: number } | null {
  let off = 12;
  const labels: string[] = [];
  while (off < q.length && q[off] !== 0) {
    labels.push(q.toString('latin1', off + 1, off + 1 + q[off]));
    off += 1 + q[off];
  }
  if (off + 5 > q.length) return null;
  return { name: labels.join('.'), type: q.readUInt16BE(off + 1), end: off + 5 };
}

function build(query: Buffer, up: WireUpstream): Buffer | null {
  if (query.length < 12) return null;
  const q = questionOf(query);
  if (q === null) return null;
  up.queries.push({ name: q.name.toLowerCase(), type: q.type });
  const byType = up.zone[q.name.toLowerCase()];
  const ans: WireAnswer = byType?.[q.type] ?? byType?.[0] ?? { rcode: byType ? 0 : 3 };
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (ans.rcode ?? 0), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(ans.answers?.length ?? 0, 6);
  header.writeUInt16BE(ans.authority?.length ?? 0, 8);
  const parts: Buffer[] = [header, query.subarray(12, q.end)];
  let at = q.end;
  for (const r of [...(ans.answers ?? []), ...(ans.authority ?? [])]) {
    const owner = r.ownerBytes?.() ?? (r.owner === undefined ? pointer(12) : wireName(r.owner));
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(r.type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(r.ttl ?? 300, 4);
    const rdata = r.rdata(at + owner.length + 10);
    fixed.writeUInt16BE(rdata.length, 8);
    parts.push(owner, fixed, rdata);
    at += owner.length + 10 + rdata.length;
  }
  return Buffer.concat(parts);
}

export async function startWireUpstream(zone: WireZone): Promise<WireUpstream> {
  const udp = dgram.createSocket('udp4');
  const tcp = net.createServer();
  const sockets = new Set<net.Socket>();
  const up: WireUpstream = {
    port: 0,
    url: '',
    zone,
    queries: [],
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
    },
  };
  udp.on('message', (msg, rinfo) => {
    const a = build(msg, up);
    if (a !== null) udp.send(a, rinfo.port, rinfo.address);
  });
  tcp.on('connection', (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const a = build(buf.subarray(2, 2 + buf.readUInt16BE(0)), up);
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (a !== null && !sock.destroyed) sock.write(Buffer.concat([u16(a.length), a]));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(0, '127.0.0.1', () => resolve());
  });
  const port = (udp.address() as AddressInfo).port;
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, '127.0.0.1', () => resolve());
  });
  Object.assign(up, { port, url: `udp://127.0.0.1:${port}` });
  return up;
}
