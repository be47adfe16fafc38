// Binding a TCP-based server (HTTP, HTTP/2, TLS) and reporting where it listens: the same few lines
// every listener of banwall needs.
import type { AddressInfo, Server } from 'node:net';

/** Resolves once `server` listens on host:port; rejects with the bind error (EADDRINUSE, EACCES). */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** The addresses actually bound (port 0 resolved), for logs, tests and the PAC file. */
export function boundAddresses(servers: readonly Server[]): { host: string; port: number }[] {
  return servers.map((s) => {
    const a = s.address() as AddressInfo;
    return { host: a.address, port: a.port };
  });
}
