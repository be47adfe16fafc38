// Clients of the proxy under test, beyond curl: a CONNECT followed by a TLS handshake, idle
// connections held open, and the one check of a block page every test makes the same way.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import type { CurlResult } from '../helpers/curl.ts';
import { onCleanup, type Cleanup } from '../helpers/cleanup.ts';

/**
 * CONNECT to `authority` through the proxy on `proxyPort`, then a TLS handshake naming `servername`:
 * 'ok' when the handshake completes, 'closed' when the proxy cuts the tunnel, or the status line
 * of a refused CONNECT.
 */
export function tunnelHandshake(proxyPort: number, authority: string, servername: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(proxyPort, '127.0.0.1');
    sock.on('error', () => resolve('closed'));
    sock.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
    let head = '';
    const onData = (c: Buffer) => {
      head += c.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      sock.off('data', onData);
      if (!head.startsWith('HTTP/1.1 200')) return resolve(head.split('\r\n')[0]);
      const t = tls.connect({ socket: sock, servername, rejectUnauthorized: false });
      t.on('secureConnect', () => {
        t.destroy();
        resolve('ok');
      });
      t.on('error', () => resolve('closed'));
      t.on('close', () => resolve('closed'));
    };
    sock.on('data', onData);
  });
}

/**
 * `count` connections to the proxy that send nothing; resolves once each is open (or failed).
 * `cleanup` (a test's context) destroys those still open when the test ends.
 */
export async function openIdle(port: number, count: number, cleanup: Cleanup): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  const destroy = async () => {
    for (const s of sockets) s.destroy();
  };
  onCleanup(cleanup, destroy);
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => resolve());
          s.on('error', () => resolve());
          sockets.push(s);
        }),
    ),
  );
  return sockets;
}

/** The proxy's block page: 403 and `X-Banwall-Block: APP/CATEGORY` (`block` may be a pattern). */
export function assertBlocked(r: CurlResult, block: string, what?: string): void {
  assert.equal(r.status, 403, what);
  assert.match(r.headers, new RegExp(`^x-banwall-block: ${block}\\r?$`, 'im'), what);
}
