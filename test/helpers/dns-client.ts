// Small DNS clients for the hardening tests: one query over UDP or TCP from a chosen loopback source
// address, returning the raw reply (or null on timeout), plus a /metrics scrape.
import dgram from 'node:dgram';
import net from 'node:net';
import { queryPacket } from './chain-link.ts';

export { queryPacket };

/** Sends `packet` over UDP from `bind` (default 127.0.0.1) and resolves with the reply or null. */
export function udpExchange(
  port: number,
  packet: Buffer,
  opts: { bind?: string; timeoutMs?: number } = {},
): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const done = (reply: Buffer | null) => {
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(null), opts.timeoutMs ?? 2000);
    sock.on('message', (msg) => done(msg));
    sock.on('error', () => done(null));
    sock.bind(0, opts.bind ?? '127.0.0.1', () => sock.send(packet, port, '127.0.0.1'));
  });
}

/** One framed query over a fresh TCP connection. */
export function tcpExchange(
  port: number,
  packet: Buffer,
  opts: { bind?: string; timeoutMs?: number } = {},
): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1', localAddress: opts.bind ?? '127.0.0.1' });
    let buf = Buffer.alloc(0);
    const done = (reply: Buffer | null) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => done(null), opts.timeoutMs ?? 2000);
    sock.on('error', () => done(null));
    sock.on('close', () => done(null));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0))
        done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(packet.length);
    sock.write(Buffer.concat([len, packet]));
  });
}

export const rcodeOf = (reply: Buffer): number => reply[3] & 0x0f;
export const ancountOf = (reply: Buffer): number => reply.readUInt16BE(6);

/** The sum of the samples of `name` at /metrics whose labels include `labels`; undefined when none. */
export async function metric(
  httpPort: number,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      sum = (sum ?? 0) + Number(line.split(' ').at(-1));
    }
  }
  return sum;
}
