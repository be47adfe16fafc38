// Plain DNS over UDP: ONE connected socket per upstream (the OS picks a random source port; a
// connected socket also drops datagrams from any other address and needs no address lookup per
// send), random IDs mapped to the queries in flight, expiry by the pending table's single timer.
//
// The socket is replaced every `rotateMs` (default 60 s) by a new one on a new random port; the old
// one keeps receiving the answers it is owed until the timeout has passed. An off-path spoofer thus
// has to find the port again every minute, not once for the life of the process (Kaminsky).
import type { Exchange } from './exchange.ts';
import { PendingTransport } from './pending-transport.ts';
import type { TransportSink } from './transport.ts';
import { deliverAnswer } from './deliver-answer.ts';
import { createUpstreamSocket, type UpstreamUdpSocket } from './batched-upstream-socket.ts';
import { batchedUpstream } from '../../net/batched-udp-addon.ts';

const RECV_BUFFER = 4 * 1024 * 1024; // bursts of misses: let the kernel hold the answers
export const ROTATE_MS = 60_000;

export class UdpTransport extends PendingTransport {
  readonly kind = 'udp' as const;
  private readonly host: string;
  private readonly port: number;
  private socket: UpstreamUdpSocket | null = null;
  private connected = false;
  private backlog: Buffer[] = [];
  private readonly timeoutMs: number;
  private readonly rotateMs: number;
  private rotateAt = 0;
  /** batchedUpstream.generation when the socket was made: a change replaces it (dns.batchedIo). */
  private socketKind = 0;
  /** Replaced sockets still owed answers, closed once the timeout has passed. */
  private readonly retiring = new Set<UpstreamUdpSocket>();

  constructor(host: string, port: number, timeoutMs: number, sink: TransportSink, rotateMs = ROTATE_MS) {
    super(timeoutMs, sink);
    this.host = host;
    this.port = port;
    this.timeoutMs = timeoutMs;
    this.rotateMs = rotateMs;
  }

  protected transmit(_ex: Exchange, id: number, msg: Buffer): void {
    msg.writeUInt16BE(id, 0);
    if (
      this.connected &&
      (performance.now() >= this.rotateAt || this.socketKind !== batchedUpstream.generation)
    )
      this.rotate();
    if (this.connected) {
      (this.socket as UpstreamUdpSocket).send(msg);
    } else {
      // Sent when the (new) socket is connected.
      this.backlog.push(msg);
      if (this.socket === null) this.open();
    }
  }

  protected release(): void {
    for (const s of [this.socket, ...this.retiring]) {
      try {
        s?.close();
      } catch {
        // already closed
      }
    }
    this.retiring.clear();
    this.socket = null;
  }

  /** A new socket (new random port) for what is sent from now on; the old one drains. */
  private rotate(): void {
    const old = this.socket as UpstreamUdpSocket;
    this.retiring.add(old);
    const timer = setTimeout(() => {
      this.retiring.delete(old);
      try {
        old.close();
      } catch {
        // already closed
      }
    }, this.timeoutMs + 100);
    timer.unref();
    this.socket = null;
    this.connected = false;
  }

  private open(): void {
    // node:dgram, or the batched addon when the front end serves with it (dns.batchedIo).
    const socket = createUpstreamSocket(this.host);
    this.socketKind = batchedUpstream.generation;
    this.socket = socket;
    this.rotateAt = performance.now() + this.rotateMs;
    socket.on('message', this.onMessage);
    socket.on('error', (err: NodeJS.ErrnoException) => this.onError(socket, err));
    socket.unref();
    socket.connect(this.port, this.host, () => {
      if (this.socket !== socket) return; // closed meanwhile
      try {
        socket.setRecvBufferSize(RECV_BUFFER);
      } catch {
        // capped by net.core.rmem_max: the default still works
      }
      this.connected = true;
      const backlog = this.backlog;
      this.backlog = [];
      for (const msg of backlog) socket.send(msg);
    });
  }

  private readonly onMessage = (msg: Buffer): void => {
    try {
      this.handle(msg);
    } catch (err) {
      this.sink.bug(err);
    }
  };

  private handle(msg: Buffer): void {
    deliverAnswer(msg, this.table, this.sink, this);
  }

  private onError(socket: UpstreamUdpSocket, err: NodeJS.ErrnoException): void {
    if (socket === this.socket && !this.connected) {
      // connect() failed (no route, bad address): start over on the next send; what waits expires.
      socket.close();
      this.socket = null;
      this.backlog = [];
      return;
    }
    // ICMP port unreachable (ECONNREFUSED) on a connected socket: nobody listens there. Fail what is
    // in flight now rather than let it wait for the timeout. The socket stays usable.
    if (err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') {
      this.table.drain((ex) => this.sink.failed(ex, 'network'));
    }
  }
}
