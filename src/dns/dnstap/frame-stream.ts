// Frame Streams (fstrm), the framing dnstap travels in: the bidirectional handshake READY → ACCEPT →
// START, data frames (a 4-byte big-endian length and the payload), and STOP → FINISH on close.
// Reconnection and the bounded buffer are the ReconnectingWriter's.
import net, { type Socket } from 'node:net';
import { ReconnectingWriter } from '../../events/reconnecting-writer.ts';

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

/** Reads the reader's control frames; calls `onControl` with each frame's type. */
function readControlFrames(socket: Socket, onControl: (type: number) => void): void {
  let inbox = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    inbox = Buffer.concat([inbox, chunk]);
    while (inbox.length >= 8) {
      // A reader sends control frames only; anything else is not a Frame Streams peer.
      if (inbox.readUInt32BE(0) !== 0) return void socket.destroy();
      const len = inbox.readUInt32BE(4);
      if (len > MAX_CONTROL) return void socket.destroy();
      if (inbox.length < 8 + len) return;
      const type = inbox.readUInt32BE(8);
      inbox = inbox.subarray(8 + len);
      onControl(type);
    }
  });
}

export class FrameStreamWriter {
  private readonly writer: ReconnectingWriter;

  constructor(opts: FrameStreamOptions) {
    const t = opts.target;
    this.writer = new ReconnectingWriter({
      connect: () => ('path' in t ? net.connect(t.path) : net.connect(t.port, t.host)),
      maxBuffered: opts.maxBuffered,
      reconnectDelay: opts.reconnectDelay,
      handshake: (socket, ready) => {
        readControlFrames(socket, (type) => {
          if (type === CONTROL_ACCEPT) {
            socket.write(controlFrame(CONTROL_START, opts.contentType));
            ready();
          } else if (type === CONTROL_FINISH) {
            socket.end();
          }
        });
        socket.write(controlFrame(CONTROL_READY, opts.contentType));
      },
    });
  }

  get connected(): boolean {
    return this.writer.connected;
  }

  get dropped(): number {
    return this.writer.dropped;
  }

  write(payload: Uint8Array): void {
    const frame = Buffer.allocUnsafe(4 + payload.length);
    frame.writeUInt32BE(payload.length, 0);
    frame.set(payload, 4);
    this.writer.write(frame);
  }

  /** Sends STOP and waits (bounded) for the reader's FINISH. */
  close(): Promise<void> {
    return this.writer.close((socket) => socket.write(controlFrame(CONTROL_STOP)));
  }
}
