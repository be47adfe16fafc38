// Binds one listen address for UDP and TCP on the same port number, as DNS clients expect.
import type dgram from 'node:dgram';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { REUSE_PORT } from '../../net/reuse-port.ts';

export interface BoundPair {
  readonly udp: dgram.Socket;
  readonly tcp: net.Server;
  readonly host: string;
  readonly port: number;
}

// Port 0 lets the system pick a free UDP port; the same TCP port may be taken, so try again a few times.
const PORT_ATTEMPTS = 20;

export async function bindPair(
  host: string,
  port: number,
  createUdp: (type: 'udp4' | 'udp6') => dgram.Socket,
  tcp: net.Server,
): Promise<BoundPair> {
  const v6 = net.isIPv6(host);
  for (let attempt = 1; ; attempt++) {
    // ipv6Only: `[::]` and `0.0.0.0` may both be listed, and v6 sockets then never see mapped v4 clients.
    const udp = createUdp(v6 ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address: host, port, exclusive: true }, () => {
          udp.removeListener('error', reject);
          resolve();
        });
      });
    } catch (err) {
      closeQuietly(udp);
      throw err;
    }
    const udpPort = (udp.address() as AddressInfo).port;
    const err = await listen(tcp, host, udpPort, v6);
    if (err === null) return { udp, tcp, host, port: udpPort };
    closeQuietly(udp);
    if (port !== 0 || err.code !== 'EADDRINUSE' || attempt >= PORT_ATTEMPTS) throw err;
  }
}

function listen(
  server: net.Server,
  host: string,
  port: number,
  v6: boolean,
): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException) => resolve(err);
    server.once('error', onError);
    server.listen({ host, port, ipv6Only: v6, exclusive: true, reusePort: REUSE_PORT }, () => {
      server.removeListener('error', onError);
      resolve(null);
    });
  });
}

function closeQuietly(udp: dgram.Socket): void {
  try {
    udp.close();
  } catch {
    // never bound, or already closed
  }
}
