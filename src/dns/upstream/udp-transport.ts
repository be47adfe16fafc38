// Plain DNS over UDP: ONE connected socket per upstream (the OS picks a random source port; a
// connected socket also drops datagrams from any other address and needs no address lookup per
// send), random IDs mapped to the queries in flight, expiry by the pending table's single timer.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { answerMatches } from '../wire/answer-facts.ts';
import type { Exchange } from './exchange.ts';
import { PendingTable } from './pending-table.ts';
import type { Transport, TransportSink } from './transport.ts';

const RECV_BUFFER = 4 * 1024 * 1024; // bursts of misses: let the kernel hold the answers

export class UdpTransport implements Transport {
  readonly kind = 'udp' as const;
  private readonly host: string;
  private readonly port: number;
  private readonly sink: TransportSink;
  private readonly table: PendingTable;
  private socket: dgram.Socket | null = null;
  private connected = false;
  private backlog: Buffer[] = [];
  private closed = false;

  constructor(host: string, port: number, timeoutMs: number, sink: TransportSink) {
    this.host = host;
    this.port = port;
    this.sink = sink;
    this.table = new PendingTable(timeoutMs, (ex) => sink.failed(ex, 'timeout'));
  }

  send(ex: Exchange, msg: Buffer): boolean {
    if (this.closed) return false;
    const id = this.table.add(ex, performance.now());
    if (id < 0) return false;
    msg.writeUInt16BE(id, 0);
    if (this.connected) (this.socket as dgram.Socket).send(msg);
    else {
      this.backlog.push(msg);
      if (this.socket === null) this.open();
    }
    return true;
  }

  oldestPending(): number {
    return this.table.oldestSent();
  }

  close(): void {
    this.closed = true;
    this.table.close();
    this.table.drain((ex) => this.sink.failed(ex, 'network'));
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
    this.socket = null;
  }

  private open(): void {
    const socket = dgram.createSocket(isIPv6(this.host) ? 'udp6' : 'udp4');
    this.socket = socket;
    socket.on('message', this.onMessage);
    socket.on('error', this.onError);
    socket.unref();
    socket.connect(this.port, this.host, () => {
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
    if (msg.length < 2) return this.sink.stray('malformed');
    const id = msg.readUInt16BE(0);
    const ex = this.table.get(id);
    if (ex === undefined) return this.sink.stray('mismatch');
    if (msg.length < 12) {
      // Our ID, from our upstream's address, but not a DNS message: the upstream answers garbage.
      this.table.remove(id);
      return this.sink.failed(ex, 'malformed');
    }
    if (!answerMatches(msg, ex.query.packet, ex.query.questionEnd)) return this.sink.stray('mismatch');
    const rtt = performance.now() - this.table.sentTime(id);
    this.table.remove(id);
    this.sink.answered(ex, msg, rtt, this);
  }

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    if (!this.connected) {
      // connect() failed (no route, bad address): start over on the next send; what waits expires.
      this.socket?.close();
      this.socket = null;
      this.backlog = [];
      return;
    }
    // ICMP port unreachable (ECONNREFUSED) on a connected socket: nobody listens there. Fail what is
    // in flight now rather than let it wait for the timeout. The socket stays usable.
    if (err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') {
      this.table.drain((ex) => this.sink.failed(ex, 'network'));
    }
  };
}
