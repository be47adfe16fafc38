// The origin side of one intercepted tunnel: an HTTP agent that hands out only TLS connections whose
// certificate verified for the tunnel's name (Node's default trust store plus NODE_EXTRA_CA_CERTS),
// to the address judged at CONNECT time. The first is the connection verified before the tunnel was
// opened; when the origin closes it, the next request gets a new one, checked and verified the same way.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import tls, { type TLSSocket } from 'node:tls';

/** Verified TLS to the origin: SNI and the identity check on `name`, ALPN http/1.1 only. */
export function connectOrigin(address: string, port: number, name: string): TLSSocket {
  return tls.connect({
    host: address,
    port,
    servername: name,
    ALPNProtocols: ['http/1.1'],
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
  });
}

/** A certificate the origin presented that did not verify (as opposed to a network failure). */
export function isCertificateError(err: NodeJS.ErrnoException): boolean {
  const code = err.code ?? '';
  return (
    code === 'ERR_TLS_CERT_ALTNAME_INVALID' ||
    /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY|DECRYPT)|CHAIN_TOO_LONG|INVALID_CA|PATH_LENGTH/.test(code)
  );
}

export class OriginAgent extends http.Agent {
  private first: TLSSocket | null;
  private readonly open: () => TLSSocket | null;
  /** Every origin connection of the tunnel, destroyed with it. */
  readonly sockets_ = new Set<TLSSocket>();

  /** `open` returns a new verified connection, or null when the address may no longer be reached. */
  constructor(first: TLSSocket, open: () => TLSSocket | null) {
    // One connection: a client sends one request at a time on its tunnel (no pipelining through).
    super({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
    this.first = first;
    this.open = open;
    this.track(first);
  }

  private track(s: TLSSocket): void {
    this.sockets_.add(s);
    s.once('close', () => this.sockets_.delete(s));
  }

  override createConnection(
    _options: unknown,
    callback?: (err: Error | null, socket: Duplex) => void,
  ): Duplex | null | undefined {
    const first = this.first;
    this.first = null;
    if (first !== null && !first.destroyed && first.writable) return first;
    const next = this.open();
    if (next === null) {
      callback?.(Object.assign(new Error('origin address no longer allowed'), { code: 'EACCES' }), null!);
      return undefined;
    }
    this.track(next);
    return next;
  }

  override destroy(): void {
    super.destroy();
    for (const s of this.sockets_) s.destroy();
    this.first?.destroy();
  }
}
