// Small DNS clients for the hardening tests: one query over UDP or TCP from a chosen loopback source
// address, returning the raw reply (or null on timeout), plus a /metrics scrape.
import dgram from 'node:dgram';
import net from 'node:net';

export interface ExchangeOptions {
  /** The loopback source address (default: 127.0.0.1, or ::1 towards an IPv6 `host`). */
  readonly bind?: string;
  /** Where banwall listens (default 127.0.0.1). */
  readonly host?: string;
  readonly timeoutMs?: number;
}

/** Sends `packet` over UDP from `bind` and resolves with the first reply, or null after the timeout. */
export function udpExchange(
  port: number,
  packet: Buffer,
  opts: ExchangeOptions = {},
): Promise<Buffer | null> {
  const host = opts.host ?? '127.0.0.1';
  const v6 = net.isIPv6(host);
  return new Promise((resolve) => {
    const sock = dgram.createSocket(v6 ? 'udp6' : 'udp4');
    const done = (reply: Buffer | null) => {
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(null), opts.timeoutMs ?? 2000);
    sock.on('message', (msg) => done(msg));
    sock.on('error', () => done(null));
    sock.bind(0, opts.bind ?? (v6 ? '::1' : '127.0.0.1'), () => sock.send(packet, port, host));
  });
}

/** One framed query over a fresh TCP connection. */
export function tcpExchange(
  port: number,
  packet: Buffer,
  opts: ExchangeOptions = {},
): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: opts.host ?? '127.0.0.1', localAddress: opts.bind });
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
