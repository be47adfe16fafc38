// Ports for a test to hand to a process it starts (nginx, Prometheus, a banwall listener named in its
// config): free on loopback when asked; a clash later shows as that process failing to start.
import net from 'node:net';

/** A TCP port that nothing listens on at 127.0.0.1 right now. */
export async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
