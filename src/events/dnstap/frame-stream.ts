// A Frame Streams (fstrm) writer: the bidirectional handshake READY → ACCEPT → START, then data
// frames (a 4-byte big-endian length and the payload), and STOP → FINISH on close. Over a Unix or TCP
// socket, reconnecting with backoff; frames wait in a bounded buffer meanwhile, and what does not fit
// is dropped and counted, so a dead collector never holds memory or slows answers.
import net from 'node:net';

const CONTROL_ACCEPT = 0x01;
const CONTROL_START = 0x02;
const CONTROL_STOP = 0x03;
const CONTROL_READY = 0x04;
const CONTROL_FINISH = 0x05;
const FIELD_CONTENT_TYPE = 0x01;
/** Control frames are small; a peer announcing more is not speaking Frame Streams. */
const MAX_CONTROL = 512;

export type FrameTarget = { readonly path: string } | { readonly host: string; readonly port: number };

export interface FrameStreamOptions {
  readonly target: FrameTarget;
  readonly contentType: string;
  /** Bytes of frames held while disconnected or while the socket's buffer is full. */
  readonly maxBuffered: number;
  /** First reconnect delay in ms; doubles up to 30 s. */
  readonly reconnectDelay?: number;
}

function controlFrame(type: number, contentType?: string): Buffer {
  const ct = contentType === undefined ? null : Buffer.from(contentType);
  const body = 4 + (ct === null ? 0 : 8 + ct.length);
  const b = Buffer.alloc(8 + body);
  b.writeUInt32BE(0, 0); // escape: a zero length marks a control frame
  b.writeUInt32BE(body, 4);
  b.writeUInt32BE(type, 8);
  if (ct !== null) {
    b.writeUInt32BE(FIELD_CONTENT_TYPE, 12);
    b.writeUInt32BE(ct.length, 16);
    ct.copy(b, 20);
  }
  return b;
}

export class FrameStreamWriter {
  private readonly opts: FrameStreamOptions;
  private socket: net.Socket | null = null;
  /** Frames waiting for a started stream. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private started = false;
  private closed = false;
  private delay: number;
  private retry: NodeJS.Timeout | undefined;
  /** Frames dropped because the buffer was full. */
  dropped = 0;
  /** Frames handed to a started stream. */
  written = 0;
  connects = 0;

  constructor(opts: FrameStreamOptions) {
    this.opts = opts;
    this.delay = opts.reconnectDelay ?? 500;
    this.connect();
  }

  get connected(): boolean {
    return this.started;
  }

  write(payload: Uint8Array): void {
    if (this.closed) return;
    const frame = Buffer.allocUnsafe(4 + payload.length);
    frame.writeUInt32BE(payload.length, 0);
    frame.set(payload, 4);
    const s = this.socket;
    if (this.started && s !== null && s.writableLength < this.opts.maxBuffered) {
      s.write(frame);
      this.written++;
      return;
    }
    if (this.pendingBytes + frame.length > this.opts.maxBuffered) {
      this.dropped++;
      return;
    }
    this.pending.push(frame);
    this.pendingBytes += frame.length;
  }

  private connect(): void {
    if (this.closed) return;
    const t = this.opts.target;
    const socket = 'path' in t ? net.connect(t.path) : net.connect(t.port, t.host);
    this.socket = socket;
    let inbox = Buffer.alloc(0);
    socket.on('connect', () => {
      socket.write(controlFrame(CONTROL_READY, this.opts.contentType));
    });
    socket.on('data', (chunk: Buffer) => {
      inbox = Buffer.concat([inbox, chunk]);
      while (inbox.length >= 8) {
        if (inbox.readUInt32BE(0) !== 0) return void socket.destroy(); // a reader sends control frames only
        const len = inbox.readUInt32BE(4);
        if (len > MAX_CONTROL) return void socket.destroy();
        if (inbox.length < 8 + len) return;
        const type = inbox.readUInt32BE(8);
        inbox = inbox.subarray(8 + len);
        if (type === CONTROL_ACCEPT && !this.started) this.start(socket);
        else if (type === CONTROL_FINISH) socket.end();
      }
    });
    socket.on('error', () => {
      // 'close' follows and schedules the reconnect.
    });
    socket.on('close', () => {
      this.started = false;
      if (this.socket === socket) this.socket = null;
      if (this.closed) return;
      this.retry = setTimeout(() => this.connect(), this.delay);
      this.retry.unref();
      this.delay = Math.min(this.delay * 2, 30_000);
    });
    socket.unref();
  }

  private start(socket: net.Socket): void {
    socket.write(controlFrame(CONTROL_START, this.opts.contentType));
    this.started = true;
    this.connects++;
    this.delay = this.opts.reconnectDelay ?? 500;
    const held = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const f of held) socket.write(f);
    this.written += held.length;
  }

  /** Sends STOP and waits (bounded) for the reader's FINISH. */
  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const s = this.socket;
    if (s === null || !this.started) {
      s?.destroy();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const guard = setTimeout(() => s.destroy(), 2000);
      s.once('close', () => {
        clearTimeout(guard);
        resolve();
      });
      s.write(controlFrame(CONTROL_STOP));
    });
  }
}
