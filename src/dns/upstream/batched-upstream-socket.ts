// The upstream UDP socket through the batched addon (native/batched-udp.c), when the DNS front end
// serves with it (`dns.batchedIo`): the queries a batch of client misses sends upstream leave with
// one sendmmsg (flushed by a microtask, after the batch's synchronous work), and the upstream's
// answers are read with recvmmsg, many per wakeup. UdpTransport drives it exactly as a dgram socket
// (connect, send, 'message', 'error', unref, close): rotation, IDs and timeouts stay there.
//
// Why: the profile of a miss on node:dgram had the `sendto` to the upstream at 19 µs of 65
// (bench/README.md, "Where a miss's microseconds go").
import dgram from 'node:dgram';
import { ipFamily } from '../../net/ip-family.ts';
import {
  ADDR_STRIDE,
  BatchedLayout,
  batchedUpstream,
  type BatchedHandle,
  type BatchedUdpAddon,
} from '../../net/batched-udp-addon.ts';

/** What UdpTransport uses of a socket; node:dgram's Socket has it all. */
export interface UpstreamUdpSocket {
  on(event: 'message', listener: (msg: Buffer) => void): unknown;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): unknown;
  unref(): unknown;
  connect(port: number, host: string, callback: () => void): void;
  setRecvBufferSize(size: number): void;
  send(msg: Buffer): void;
  close(): void;
}

/** A socket to `host`: batched when the front end uses the addon, node:dgram otherwise. */
export function createUpstreamSocket(host: string): UpstreamUdpSocket {
  const v6 = ipFamily(host) === 6;
  const addon = batchedUpstream.addon;
  return addon === null ? dgram.createSocket(v6 ? 'udp6' : 'udp4') : new BatchedUpstreamSocket(addon, v6);
}

// Answers: banwall advertises 1232 bytes upstream (outgoing-query.ts); a slot holds 4 KiB, and a
// longer answer (an upstream ignoring our size) is dropped as malformed and the query retried.
const IN_SLOTS = 32;
const IN_SLOT_SIZE = 4096;
// Queries: header, one question (≤ 255-byte name) and our OPT record: under 300 bytes.
const OUT_SLOTS = 64;
const OUT_SLOT_SIZE = 512;

class BatchedUpstreamSocket implements UpstreamUdpSocket {
  private readonly addon: BatchedUdpAddon;
  private readonly v6: boolean;
  private readonly L = new BatchedLayout(IN_SLOTS, IN_SLOT_SIZE, OUT_SLOTS, OUT_SLOT_SIZE);
  private fd = -1;
  private handle: BatchedHandle | null = null;
  private onAnswer: (msg: Buffer) => void = () => {};
  private onError: (err: NodeJS.ErrnoException) => void = () => {};
  private outCount = 0;
  private flushQueued = false;
  private unrefd = false;
  private closed = false;
  private readonly flushBound = (): void => this.flushQueuedSends();

  constructor(addon: BatchedUdpAddon, v6: boolean) {
    this.addon = addon;
    this.v6 = v6;
  }

  on(
    event: 'message' | 'error',
    listener: ((msg: Buffer) => void) | ((err: NodeJS.ErrnoException) => void),
  ): this {
    if (event === 'message') this.onAnswer = listener as (msg: Buffer) => void;
    else this.onError = listener as (err: NodeJS.ErrnoException) => void;
    return this;
  }

  unref(): this {
    this.unrefd = true;
    if (this.handle !== null) this.addon.unref(this.handle);
    return this;
  }

  /** Binds a random port and connects; `callback` runs on the next turn, as dgram's does. */
  connect(port: number, host: string, callback: () => void): void {
    try {
      const [fd] = this.addon.bind(this.v6 ? '::' : '0.0.0.0', 0, this.v6, false);
      this.fd = fd;
      this.handle = this.addon.open(fd, this.L.memory, this.L.numbers, (n) => this.onBatch(n));
      if (this.unrefd) this.addon.unref(this.handle);
      this.addon.connect(fd, host, port, this.v6);
    } catch (err) {
      setImmediate(() => this.onError(err as NodeJS.ErrnoException));
      return;
    }
    setImmediate(callback);
  }

  setRecvBufferSize(): void {
    // set by the addon's connect (4 MiB, capped by net.core.rmem_max)
  }

  send(msg: Buffer): void {
    if (this.handle === null || this.closed) return;
    if (this.outCount === OUT_SLOTS || msg.length > OUT_SLOT_SIZE) this.flushQueuedSends();
    if (msg.length > OUT_SLOT_SIZE) return; // no query built here is: a bug, and the query times out
    const slot = this.outCount++;
    this.L.words[(this.L.outAddr + slot * ADDR_STRIDE) >> 2] = 0; // family 0: the connected peer
    msg.copy(this.L.bytes, this.L.outData + slot * OUT_SLOT_SIZE);
    this.L.outLen[slot] = msg.length;
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushBound);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.handle !== null) this.addon.close(this.handle);
  }

  private flushQueuedSends(): void {
    this.flushQueued = false;
    const n = this.outCount;
    this.outCount = 0;
    if (n > 0 && this.handle !== null && !this.closed) this.addon.flush(this.handle, n);
  }

  private onBatch(n: number): void {
    if (n < 0) {
      // ICMP errors on a connected socket (ECONNREFUSED: nobody listens there), as dgram reports them.
      const code =
        -n === 111 ? 'ECONNREFUSED' : -n === 113 ? 'EHOSTUNREACH' : -n === 101 ? 'ENETUNREACH' : 'EIO';
      const err: NodeJS.ErrnoException = new Error(`recvmmsg ${code}`);
      err.code = code;
      return this.onError(err);
    }
    const L = this.L;
    for (let i = 0; i < n; i++) {
      const len = L.inLen[i];
      const from = i * IN_SLOT_SIZE;
      // A truncated answer is passed on cut to a byte, so that deliverAnswer calls it malformed.
      const msg = Buffer.allocUnsafe(len < 0 ? 1 : len);
      L.bytes.copy(msg, 0, from, from + msg.length);
      this.onAnswer(msg);
    }
  }
}
