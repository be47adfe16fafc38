// Small DoT and DoH servers for the upstream tests, with a self-signed certificate made by openssl at
// test time. Each answers every A query with 192.0.2.53 (TTL 77), echoing the ID and question.
import http2 from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import tls from 'node:tls';
import dns2 from 'dns2';
import { selfSigned, type SelfSigned } from '../certs.ts';

const { Packet } = dns2;
export const TLS_NAME = 'upstream.test';

export type { SelfSigned };

export function makeSelfSigned(): Promise<SelfSigned> {
  return selfSigned([TLS_NAME], 'banwall-upstream-tls-');
}

export function answer(msg: Buffer): Buffer {
  const req = Packet.parse(msg);
  const res = new Packet(req);
  res.header.qr = 1;
  res.header.ra = 1;
  res.additionals = [];
  const q = req.questions[0];
  res.answers.push({ name: q.name, type: 1, class: 1, ttl: 77, address: '192.0.2.53' } as never);
  return res.toBuffer();
}

export interface TestServer {
  readonly port: number;
  /** DoT: the SNI of each connection. DoH: path, :authority and DNS ID of each request. */
  readonly seen: string[];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1; close() drops the connections still `open`, then stops listening. */
async function listening(
  server: Server,
  seen: string[],
  open: ReadonlySet<{ destroy(): void }>,
): Promise<TestServer> {
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: async () => {
      for (const c of open) c.destroy();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}

export async function startDotServer(tlsFiles: SelfSigned): Promise<TestServer> {
  const seen: string[] = [];
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    { cert: tlsFiles.cert, key: tlsFiles.key, ALPNProtocols: ['dot'] },
    (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      seen.push(String((sock as tls.TLSSocket & { servername?: string }).servername));
      let buf = Buffer.alloc(0);
      sock.on('error', () => {});
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + msg.length);
          const out = answer(Buffer.from(msg));
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          sock.write(Buffer.concat([len, out]));
        }
      });
    },
  );
  return listening(server, seen, sockets);
}

export async function startDohServer(tlsFiles: SelfSigned): Promise<TestServer> {
  const seen: string[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createSecureServer({ cert: tlsFiles.cert, key: tlsFiles.key });
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    const url = new URL(String(headers[':path']), 'https://x');
    const msg = Buffer.from(url.searchParams.get('dns') ?? '', 'base64url');
    seen.push(
      `${url.pathname} ${String(headers[':authority'])} ${msg.length >= 2 ? msg.readUInt16BE(0) : -1}`,
    );
    if (url.pathname !== '/dns-query' || msg.length < 12) {
      stream.respond({ ':status': 404 });
      stream.end();
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/dns-message' });
    stream.end(answer(msg));
  });
  server.on('sessionError', () => {});
  return listening(server, seen, sessions);
}
