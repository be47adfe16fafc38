// DNS over TCP (RFC 7766) and over TLS (DoT, RFC 7858): one reused connection per upstream,
// queries pipelined on it with 2-byte length framing and random IDs, answers matched by ID in any
// order. The connection opens on the first query, reopens after a close, and closes when idle.
import net from 'node:net';
import tls from 'node:tls';
import type { Exchange } from './exchange.ts';
import { PendingTransport } from './pending-transport.ts';
import type { TransportSink } from './transport.ts';
import { deliverAnswer } from './deliver-answer.ts';

const IDLE_MS = 30_000;

export interface StreamOptions {
  readonly host: string;
  readonly port: number;
  /** TLS servername; absent for plain TCP. */
  readonly servername?: string;
  /** Extra trusted CA (tests with a self-signed upstream). */
  readonly ca?: string | Buffer;
}

export class StreamTransport extends PendingTransport {
  readonly kind: 'tcp' | 'tls';
  private readonly opts: StreamOptions;
  private socket: net.Socket | null = null;
  private pending: Buffer | null = null;

  constructor(opts: StreamOptions, timeoutMs: number, sink: TransportSink) {
    super(timeoutMs, sink);
    this.opts = opts;
    this.kind = opts.servername === undefined ? 'tcp' : 'tls';
  }

  protected transmit(_ex: Exchange, id: number, msg: Buffer): void {
    const framed = Buffer.allocUnsafe(msg.length + 2);
    framed.writeUInt16BE(msg.length, 0);
    msg.copy(framed, 2);
    framed.writeUInt16BE(id, 2);
    // Writes before the connection is up are buffered by the socket.
    (this.socket ?? this.open()).write(framed);
  }

  protected release(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private open(): net.Socket {
    const { host, port, servername, ca } = this.opts;
    const socket =
      servername === undefined
        ? net.connect({ host, port, noDelay: true })
        : tls.connect({ host, port, servername, ALPNProtocols: ['dot'], ca });
    this.socket = socket;
    this.pending = null;
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_MS);
    socket.unref();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('timeout', () => {
      if (this.table.size === 0) socket.end();
    });
    socket.on('error', () => {}); // 'close' follows and does the work
    socket.on('close', () => this.onClose(socket));
    return socket;
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      // Copy: the frame may sit in a large chunk, and the answer is kept by the cache.
      try {
        this.onMessage(Buffer.from(buf.subarray(2, 2 + len)));
      } catch (err) {
        this.sink.bug(err);
      }
      buf = buf.subarray(2 + len);
    }
    this.pending = buf.length === 0 ? null : buf;
  }

  private onMessage(msg: Buffer): void {
    deliverAnswer(msg, this.table, this.sink, this);
  }

  private onClose(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.pending = null;
    // Queries caught by a close (the server's idle timeout racing our write) get one more try on a
    // fresh connection; a second loss counts as a network error.
    const retry: Exchange[] = [];
    this.table.drain((ex) => {
      if (!this.closed && !ex.streamRetried) {
        ex.streamRetried = true;
        retry.push(ex);
      } else this.sink.failed(ex, 'network');
    });
    for (const ex of retry) if (!this.send(ex, ex.outgoingCopy())) this.sink.failed(ex, 'network');
  }
}
