// A wildcard authoritative upstream for the soak: every A query gets one A record, built by copying the
// question (no dns2 on this path, so the upstream is never what limits a million-query run).
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface FastUpstream {
  readonly url: string;
  readonly answered: () => number;
  close(): Promise<void>;
}

export async function startFastUpstream(): Promise<FastUpstream> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  let answered = 0;
  sock.on('message', (q, rinfo) => {
    if (q.length < 17) return;
    let pos = 12;
    while (pos < q.length && q[pos] !== 0) pos += q[pos] + 1;
    const qEnd = pos + 5;
    if (qEnd > q.length) return;
    const out = Buffer.allocUnsafe(qEnd + 16);
    q.copy(out, 0, 0, qEnd);
    out[2] = 0x84 | (q[2] & 0x01); // QR, AA, RD as asked
    out[3] = 0x80; // RA, NOERROR
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(1, 6);
    out.writeUInt32BE(0, 8);
    // c00c A IN TTL 300 192.0.2.x
    out.writeUInt32BE(0xc00c0001, qEnd);
    out.writeUInt32BE(0x00010000, qEnd + 4);
    out.writeUInt32BE(0x012c0004, qEnd + 8);
    out.writeUInt32BE((0xc0000200 | (answered & 0xff)) >>> 0, qEnd + 12);
    answered++;
    sock.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const { port } = sock.address() as AddressInfo;
  return {
    url: `udp://127.0.0.1:${port}`,
    answered: () => answered,
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}
