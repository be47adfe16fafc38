// One DNS probe over one of banwall's own listeners (UDP, TCP, DoT, DoH), sent from the probe source
// address, and the check that the answer is the block the policy asks for. Slow path: a few probes
// a minute, so clarity wins over allocation here.
import dgram from 'node:dgram';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { randomInt } from 'node:crypto';
import type { BlockActionKind } from '../policy/snapshot.ts';

/** EDE 15 "Blocked" (RFC 8914), which banwall attaches to every policy block. */
const EDE_BLOCKED = 15;
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** One of banwall's listeners, as a probe reaches it. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where and how to reach one encrypted listener: the certificate it serves is the trust anchor. */
export interface TlsTarget extends HostPort {
  /** The configured certificate (PEM, chain allowed): trusted for this connection only. */
  readonly ca: Buffer;
  /** The certificate's own name (SNI and identity check), or an IP literal it names. */
  readonly servername: string;
  /** DoH only. */
  readonly path?: string;
}

export interface DnsReply {
  readonly rcode: number;
  readonly answers: number;
  readonly ede: number | null;
}

/** An A query with EDNS (so that the Extended DNS Error can come back). */
export function buildQuery(name: string, id = randomInt(0, 65536)): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  header.writeUInt16BE(1, 10); // ARCOUNT: the OPT record
  const question = Buffer.from([0, 1, 0, 1]); // A, IN
  const opt = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]); // root, OPT, 1232, no flags, rdlen 0
  return Buffer.concat([header, qname, question, opt]);
}

/** Reads the rcode, the answer count and the first EDE info-code; throws on a malformed reply. */
export function parseReply(msg: Buffer): DnsReply {
  if (msg.length < 12) throw new Error(`reply of ${msg.length} bytes`);
  const rcode = msg.readUInt16BE(2) & 0x0f;
  const [qd, an, ns, ar] = [4, 6, 8, 10].map((o) => msg.readUInt16BE(o));
  let off = 12;
  for (let i = 0; i < qd; i++) off = skipName(msg, off) + 4;
  for (let i = 0; i < an + ns; i++) off = skipRecord(msg, off);
  let ede: number | null = null;
  for (let i = 0; i < ar; i++) {
    const nameEnd = skipName(msg, off);
    const type = msg.readUInt16BE(nameEnd);
    const rdlen = msg.readUInt16BE(nameEnd + 8);
    const rdata = nameEnd + 10;
    if (type === 41) {
      for (let o = rdata; o + 4 <= rdata + rdlen;) {
        const code = msg.readUInt16BE(o);
        const len = msg.readUInt16BE(o + 2);
        if (code === 15 && len >= 2 && ede === null) ede = msg.readUInt16BE(o + 4);
        o += 4 + len;
      }
    }
    off = rdata + rdlen;
  }
  return { rcode, answers: an, ede };
}

function skipName(msg: Buffer, off: number): number {
  for (;;) {
    const len = msg[off];
    if (len === undefined) throw new Error('name runs past the end');
    if ((len & 0xc0) === 0xc0) return off + 2;
    off += len + 1;
    if (len === 0) return off;
  }
}

function skipRecord(msg: Buffer, off: number): number {
  const end = skipName(msg, off);
  return end + 10 + msg.readUInt16BE(end + 8);
}

/** null when the reply is the block `action` gives; else what is wrong with it. */
export function checkBlockReply(reply: DnsReply, action: BlockActionKind): string | null {
  const want = action === 'nxdomain' ? 3 : action === 'refused' ? 5 : 0; /* nodata, null, sinkhole: NOERROR */
  const problems: string[] = [];
  if (reply.rcode !== want) problems.push(`rcode ${rcodeName(reply.rcode)}, expected ${rcodeName(want)}`);
  if (action === 'nodata' && reply.answers !== 0) problems.push(`${reply.answers} answers, expected none`);
  if ((action === 'null' || action === 'sinkhole') && reply.answers === 0)
    problems.push('no address in the answer');
  if (reply.ede !== EDE_BLOCKED)
    problems.push(`EDE ${reply.ede ?? 'absent'}, expected ${EDE_BLOCKED} (Blocked)`);
  return problems.length === 0 ? null : `${action} block expected: ${problems.join('; ')}`;
}

function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `rcode ${rcode}`;
}

/** Rejects after `ms`, cleaning up with `cancel`. */
function withTimeout<T>(
  ms: number,
  what: string,
  run: (done: (err: Error | null, v?: T) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const cancel = run((err, v) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cancel();
      if (err) reject(err);
      else resolve(v as T);
    });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      cancel();
      reject(new Error(`no ${what} answer within ${ms} ms`));
    }, ms);
  });
}

export function queryUdp(t: HostPort, source: string, name: string, ms: number): Promise<Buffer> {
  return withTimeout<Buffer>(ms, 'UDP', (done) => {
    const sock = dgram.createSocket('udp4');
    const q = buildQuery(name);
    sock.on('error', (err) => done(err));
    sock.on('message', (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === q.readUInt16BE(0)) done(null, msg);
    });
    sock.bind(0, source, () => sock.send(q, t.port, t.host));
    return () => sock.close();
  });
}

/** Length-prefixed exchange over a stream (TCP and DoT, RFC 7766/7858). */
function streamExchange(sock: net.Socket, name: string, done: (err: Error | null, v?: Buffer) => void): void {
  const q = buildQuery(name);
  const framed = Buffer.alloc(2 + q.length);
  framed.writeUInt16BE(q.length, 0);
  q.copy(framed, 2);
  let got = Buffer.alloc(0);
  sock.on('data', (chunk: Buffer) => {
    got = Buffer.concat([got, chunk]);
    if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0))
      done(null, got.subarray(2, 2 + got.readUInt16BE(0)));
  });
  sock.on('error', (err) => done(err));
  sock.on('close', () => done(new Error('connection closed before the answer')));
  sock.write(framed);
}

export function queryTcp(t: HostPort, source: string, name: string, ms: number): Promise<Buffer> {
  return withTimeout<Buffer>(ms, 'TCP', (done) => {
    const sock = net.connect({ host: t.host, port: t.port, localAddress: source }, () =>
      streamExchange(sock, name, done),
    );
    sock.on('error', (err) => done(err));
    return () => sock.destroy();
  });
}

/**
 * TLS to banwall's own listener. Its certificate names the service (dns.example.org), not
 * 127.0.0.1, so the probe connects to the loopback address but verifies the certificate against the
 * configured one and its own name: a real check of what clients get, without skipping verification.
 */
function connectTls(t: TlsTarget, source: string, alpn: string[]): tls.TLSSocket {
  const ipName = net.isIP(t.servername) !== 0;
  return tls.connect({
    socket: net.connect({ host: t.host, port: t.port, localAddress: source }),
    ca: t.ca,
    // The configured file may be a leaf issued by a CA: trust it as the anchor (Node ≥ 22.9).
    allowPartialTrustChain: true,
    servername: ipName ? undefined : t.servername,
    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(t.servername, cert),
    ALPNProtocols: alpn,
  });
}

export function queryDot(t: TlsTarget, source: string, name: string, ms: number): Promise<Buffer> {
  return withTimeout<Buffer>(ms, 'DoT', (done) => {
    const sock = connectTls(t, source, ['dot']);
    sock.once('secureConnect', () => streamExchange(sock, name, done));
    sock.on('error', (err) => done(err));
    return () => sock.destroy();
  });
}

export function queryDoh(t: TlsTarget, source: string, name: string, ms: number): Promise<Buffer> {
  return withTimeout<Buffer>(ms, 'DoH', (done) => {
    const session = http2.connect(`https://${t.servername}`, {
      createConnection: () => connectTls(t, source, ['h2']),
    });
    session.on('error', (err) => done(err));
    const q = buildQuery(name, 0); // RFC 8484 §4.1: ID 0 for cacheability
    const req = session.request({
      ':method': 'POST',
      ':path': t.path ?? '/dns-query',
      'content-type': 'application/dns-message',
      accept: 'application/dns-message',
    });
    const chunks: Buffer[] = [];
    let status = 0;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (status !== 200) done(new Error(`DoH answered HTTP ${status}`));
      else done(null, Buffer.concat(chunks));
    });
    req.on('error', (err) => done(err));
    req.end(q);
    return () => session.destroy();
  });
}
