// Per-client connection caps for the DoT and DoH listeners (`dns.tcp.maxConnectionsPerClient`), taken
// at the TCP `connection` event, before any TLS work: a client holding its quota of idle connections
// cannot make banwall spend handshakes on more, and cannot starve the others of the listener cap.
import type { Socket } from 'node:net';
import { unmapAddress } from '../server/client-address.ts';

export class ClientSlots {
  private readonly perClient = new Map<string, number>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** The `connection` listener: closes the socket at once when its client is at the cap. */
  readonly admit = (socket: Socket): void => {
    const client = unmapAddress(socket.remoteAddress ?? '');
    const held = this.perClient.get(client) ?? 0;
    if (held >= this.max) {
      socket.destroy();
      return;
    }
    this.perClient.set(client, held + 1);
    socket.once('close', () => {
      const n = (this.perClient.get(client) ?? 1) - 1;
      if (n <= 0) this.perClient.delete(client);
      else this.perClient.set(client, n);
    });
  };

  /** Clients holding at least one connection (tests). */
  get clients(): number {
    return this.perClient.size;
  }
}
