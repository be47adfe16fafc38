// DNS over TCP (RFC 7766): 2-byte framing, several queries per connection answered as each completes
// (out of order), an idle timeout, and caps on connections in total and per client.
import type net from 'node:net';
import type { DnsAnswer, DnsQuery } from '../resolver.ts';
import { parseQuery, QueryError } from '../wire/parse-query.ts';
import { encodeReply, TCP_LIMIT } from '../wire/encode-reply.ts';
import { answerForError, servfail } from '../wire/errors.ts';
import { unmapAddress } from './client-address.ts';
import type { FrontDeps } from './front-deps.ts';

export interface TcpLimits {
  readonly idleTimeout: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerClient: number;
}

/** Queries one connection may have waiting on the chain before we stop reading from it. */
const MAX_PENDING = 64;
/** Replies a client has not read; past this it is not reading at all and is cut off. */
const MAX_UNREAD = 1 << 20;

/** Shared by every TCP listener of a DnsServer: the caps are across all listen addresses. */
export class TcpFront {
  /** Shared with the UDP front ends. Cookies over TCP prove nothing new, but a reply carries one (RFC 7873 §5.2). */
  private readonly deps: FrontDeps;
  readonly limits: TcpLimits;
  private readonly conns = new Set<Connection>();
  private readonly perClient = new Map<string, number>();
  stopping = false;

  constructor(deps: FrontDeps, limits: TcpLimits) {
    this.deps = deps;
    this.limits = limits;
  }

  get connections(): number {
    return this.conns.size;
  }

  /** The `connection` listener of each TCP server. */
  accept(socket: net.Socket): void {
    socket.on('error', () => {}); // resets and aborts are the client's business
    const client = unmapAddress(socket.remoteAddress ?? '');
    const mine = this.perClient.get(client) ?? 0;
    if (
      this.stopping ||
      mine >= this.limits.maxConnectionsPerClient ||
      (this.conns.size >= this.limits.maxConnections && !this.evictIdlest())
    ) {
      this.deps.counters.tcpRefused++;
      socket.destroy();
      return;
    }
    this.perClient.set(client, mine + 1);
    const conn = new Connection(this, socket, client);
    this.conns.add(conn);
    socket.setNoDelay(true);
    socket.setTimeout(this.limits.idleTimeout);
    socket.on('timeout', () => conn.onIdle());
    socket.on('data', (chunk: Buffer) => {
      conn.lastActive = performance.now();
      try {
        conn.onData(chunk);
      } catch {
        // A framing bug must cost this connection, never the process.
        this.deps.counters.handlerErrors++;
        socket.destroy();
      }
    });
    socket.on('close', () => {
      this.conns.delete(conn);
      const n = (this.perClient.get(client) ?? 1) - 1;
      if (n <= 0) this.perClient.delete(client);
      else this.perClient.set(client, n);
    });
    socket.on('end', () => conn.onEnd());
  }

  /**
   * At the connection cap, closes the connection that has been idle longest (nothing pending) to
   * admit a new one, as RFC 7766 §6.2.3 allows: otherwise a few hosts holding idle connections
   * would shut every other client out of DNS over TCP until their idle timeouts ran. O(n) over the
   * connections, paid only at the cap. False when every connection has an answer pending.
   */
  private evictIdlest(): boolean {
    let idlest: Connection | null = null;
    for (const c of this.conns) {
      if (c.pending === 0 && (idlest === null || c.lastActive < idlest.lastActive)) idlest = c;
    }
    if (idlest === null) return false;
    this.conns.delete(idlest); // at once: its 'close' event comes later
    this.deps.counters.tcpIdleClosed++;
    idlest.socket.destroy();
    return true;
  }

  /** Stops reading new queries; connections close once their pending answers are written. */
  stopAccepting(): void {
    this.stopping = true;
    for (const c of this.conns) c.closeWhenIdle();
  }

  destroyAll(): void {
    for (const c of this.conns) c.socket.destroy();
  }

  /** Runs one framed query. Returns true when the answer is pending (the frame's buffer is still in use). */
  query(conn: Connection, packet: Buffer): boolean {
    let q;
    try {
      q = parseQuery(packet, conn.client, 'tcp', performance.now(), this.deps.cookies);
    } catch {
      q = null;
    }
    if (q === null) {
      this.deps.counters.dropped++;
      return false;
    }
    if (q instanceof QueryError) {
      if (q.malformed) {
        this.deps.counters.malformed++;
        this.deps.stats.recordFrontend('tcp', 'formerr', q.query.qtype);
      }
      conn.write(q.query, answerForError(q));
      return false;
    }
    let answer;
    try {
      answer = this.deps.resolver.resolve(q);
    } catch {
      answer = this.failed(q);
    }
    if (!(answer instanceof Promise)) {
      conn.write(q, answer);
      return false;
    }
    conn.pending++;
    this.deps.inFlight.add();
    answer.then(
      (a) => this.settle(conn, q, a),
      () => this.settle(conn, q, this.failed(q)),
    );
    return true;
  }

  private settle(conn: Connection, q: DnsQuery, a: DnsAnswer): void {
    conn.pending--;
    this.deps.inFlight.done();
    conn.write(q, a);
    conn.afterAnswer();
  }

  failed(q: DnsQuery): DnsAnswer {
    this.deps.counters.handlerErrors++;
    this.deps.stats.recordFrontend('tcp', 'servfail', q.qtype);
    return servfail();
  }

  idleClosed(): void {
    this.deps.counters.tcpIdleClosed++;
  }
}

/** One client connection: reassembles frames that span reads in a reusable buffer. */
class Connection {
  readonly socket: net.Socket;
  readonly client: string;
  private readonly front: TcpFront;
  pending = 0;
  /** performance.now() of the last read, for closing the idlest connection at the cap. */
  lastActive = performance.now();
  private closing = false;
  /** Bytes of a frame that began in an earlier read; reused for the next one unless lent to a query. */
  private acc: Buffer | null = null;
  private accLen = 0;

  constructor(front: TcpFront, socket: net.Socket, client: string) {
    this.front = front;
    this.socket = socket;
    this.client = client;
  }

  onData(chunk: Buffer): void {
    if (this.closing) return;
    let pos = 0;
    const n = chunk.length;
    // Finish a frame begun in an earlier read.
    while (this.accLen > 0 && pos < n) {
      let acc = this.acc!;
      if (this.accLen < 2) {
        acc[this.accLen++] = chunk[pos++];
        continue;
      }
      const need = 2 + ((acc[0] << 8) | acc[1]);
      if (acc.length < need) {
        const bigger = Buffer.allocUnsafe(need);
        acc.copy(bigger, 0, 0, this.accLen);
        this.acc = acc = bigger;
      }
      const take = Math.min(need - this.accLen, n - pos);
      chunk.copy(acc, this.accLen, pos, pos + take);
      this.accLen += take;
      pos += take;
      if (this.accLen === need) {
        this.accLen = 0;
        // A query answered later still reads its packet: give this buffer away and grow a new one.
        if (this.front.query(this, acc.subarray(2, need))) this.acc = null;
        if (this.closing) return;
      }
    }
    // Whole frames inside this read: no copy at all.
    while (pos + 2 <= n) {
      const len = (chunk[pos] << 8) | chunk[pos + 1];
      if (pos + 2 + len > n) break;
      this.front.query(this, chunk.subarray(pos + 2, pos + 2 + len));
      pos += 2 + len;
      if (this.closing) return;
    }
    if (pos < n) {
      const rest = n - pos;
      const want = rest >= 2 ? Math.max(2 + ((chunk[pos] << 8) | chunk[pos + 1]), 512) : 512;
      if (this.acc === null || this.acc.length < want) this.acc = Buffer.allocUnsafe(want);
      chunk.copy(this.acc, 0, pos, n);
      this.accLen = rest;
    }
    if (this.pending >= MAX_PENDING) this.socket.pause();
  }

  write(q: DnsQuery, answer: DnsAnswer): void {
    const s = this.socket;
    if (answer.wire.length === 0 || s.destroyed || !s.writable) return;
    try {
      s.write(encodeReply(q, answer, TCP_LIMIT, 2));
    } catch {
      this.front.failed(q);
      return;
    }
    if (s.writableLength > MAX_UNREAD) s.destroy();
  }

  afterAnswer(): void {
    if (this.closing) {
      if (this.pending === 0) this.socket.end();
    } else if (this.socket.isPaused() && this.pending < MAX_PENDING / 2) {
      this.socket.resume();
    }
  }

  onIdle(): void {
    // RFC 7766 §6.2.3: idle means nothing pending; a slow upstream does not make a client idle.
    if (this.pending > 0) {
      this.socket.setTimeout(this.front.limits.idleTimeout);
      return;
    }
    this.front.idleClosed();
    this.socket.destroy();
  }

  onEnd(): void {
    // The client has sent all it will (half-close): answer what is pending, then close.
    this.closeWhenIdle();
  }

  closeWhenIdle(): void {
    this.closing = true;
    if (this.pending === 0) this.socket.end();
  }
}
