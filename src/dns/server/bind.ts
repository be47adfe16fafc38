// Binds one listen address for UDP and TCP on the same port number, as DNS clients expect.
import type dgram from 'node:dgram';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { REUSE_PORT } from '../../net/reuse-port.ts';
import { ipFamily } from '../../net/ip-family.ts';

/** A bound UDP socket of either path (node:dgram or the batched addon). */
export interface BoundUdp {
  readonly port: number;
  close(): void;
}

export interface BoundPair<U extends BoundUdp = BoundUdp> {
  readonly udp: U;
  readonly tcp: net.Server;
  readonly host: string;
  readonly port: number;
}

// Port 0 lets the system pick a free UDP port; the same TCP port may be taken, so try again a few times.
const PORT_ATTEMPTS = 20;

/**
 * `bindUdp` binds one UDP socket (IPv6 ones v6-only: `[::]` and `0.0.0.0` may both be listed, and v6
 * sockets then never see mapped v4 clients) and rejects as bind does.
 */
export async function bindPair<U extends BoundUdp>(
  host: string,
  port: number,
  bindUdp: (host: string, port: number, v6: boolean) => Promise<U>,
  tcp: net.Server,
): Promise<BoundPair<U>> {
  const v6 = ipFamily(host) === 6;
  for (let attempt = 1; ; attempt++) {
    const udp = await bindUdp(host, port, v6);
    const err = await listen(tcp, host, udp.port, v6);
    if (err === null) return { udp, tcp, host, port: udp.port };
    udp.close();
    if (port !== 0 || err.code !== 'EADDRINUSE' || attempt >= PORT_ATTEMPTS) throw err;
  }
}

/** node:dgram's binder for bindPair: the socket `create` makes, bound exclusively. */
export async function bindDgram(
  create: (type: 'udp4' | 'udp6') => dgram.Socket,
  host: string,
  port: number,
  v6: boolean,
): Promise<BoundUdp & { socket: dgram.Socket }> {
  const socket = create(v6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.removeListener('error', reject);
        resolve();
      });
    });
  } catch (err) {
    closeQuietly(socket);
    throw err;
  }
  return { socket, port: (socket.address() as AddressInfo).port, close: () => closeQuietly(socket) };
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
