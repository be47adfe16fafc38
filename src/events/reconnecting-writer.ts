// A stream to a collector that comes and goes (dnstap over Frame Streams, syslog over TCP or TLS):
// connects, runs the protocol's handshake, writes; on loss reconnects with a doubling delay. While not
// ready, or while the socket's own buffer is full, writes wait in a bounded buffer and what does not
// fit is dropped and counted, so a dead collector never holds memory or slows the serving thread.
import type { Socket } from 'node:net';

export interface ReconnectingWriterOptions {
  /** Opens a new connection (net.connect or tls.connect). */
  readonly connect: () => Socket;
  /** Bytes held while not connected or while the socket's buffer is full. */
  readonly maxBuffered: number;
  /** First reconnect delay in ms; doubles up to 30 s. */
  readonly reconnectDelay?: number;
  /**
   * The protocol's opening (Frame Streams' READY/ACCEPT/START): call `ready()` once the stream may
   * carry data. Without it the stream is ready when connected (TLS: after the handshake).
   */
  readonly handshake?: (socket: Socket, ready: () => void) => void;
  /** The event that means connected: 'connect', or 'secureConnect' for TLS. */
  readonly connectEvent?: 'connect' | 'secureConnect';
}

const MAX_DELAY = 30_000;

export class ReconnectingWriter {
  private readonly opts: ReconnectingWriterOptions;
  private socket: Socket | null = null;
  private ready = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private closed = false;
  private delay: number;
  private retry: NodeJS.Timeout | undefined;
  /** Writes dropped because the buffer was full. */
  dropped = 0;
  /** Writes handed to a ready stream. */
  written = 0;
  /** Times a stream became ready. */
  connects = 0;
  lastError: string | undefined;

  constructor(opts: ReconnectingWriterOptions) {
    this.opts = opts;
    this.delay = opts.reconnectDelay ?? 500;
    this.open();
  }

  get connected(): boolean {
    return this.ready;
  }

  write(data: Buffer): void {
    if (this.closed) return;
    const s = this.socket;
    if (this.ready && s !== null && s.writableLength < this.opts.maxBuffered) {
      s.write(data);
      this.written++;
      return;
    }
    if (this.pendingBytes + data.length > this.opts.maxBuffered) {
      this.dropped++;
      return;
    }
    this.pending.push(data);
    this.pendingBytes += data.length;
  }

  private open(): void {
    if (this.closed) return;
    let socket: Socket;
    try {
      socket = this.opts.connect();
    } catch (err) {
      this.lastError = (err as Error).message;
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.once(this.opts.connectEvent ?? 'connect', () => {
      if (this.opts.handshake) this.opts.handshake(socket, () => this.becomeReady(socket));
      else this.becomeReady(socket);
    });
    socket.on('error', (err) => {
      this.lastError = err.message; // 'close' follows and reconnects
    });
    socket.on('close', () => {
      this.ready = false;
      if (this.socket === socket) this.socket = null;
      this.scheduleReconnect();
    });
    socket.unref();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.retry = setTimeout(() => this.open(), this.delay);
    this.retry.unref();
    this.delay = Math.min(this.delay * 2, MAX_DELAY);
  }

  private becomeReady(socket: Socket): void {
    if (this.ready || this.socket !== socket) return;
    this.ready = true;
    this.connects++;
    this.delay = this.opts.reconnectDelay ?? 500;
    const held = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const b of held) socket.write(b);
    this.written += held.length;
  }

  /**
   * Stops reconnecting; `finish` may say goodbye in the protocol's way (Frame Streams' STOP) on a
   * ready stream. Waits at most 2 s for the peer, then closes.
   */
  close(finish?: (socket: Socket) => void): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const s = this.socket;
    if (s === null || !this.ready) {
      s?.destroy();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const guard = setTimeout(() => s.destroy(), 2000);
      s.once('close', () => {
        clearTimeout(guard);
        resolve();
      });
      if (finish) finish(s);
      else s.end();
    });
  }
}
