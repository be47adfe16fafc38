// The batched UDP path (`dns.batchedIo`): the addon (native/batched-udp.c) reads a batch of datagrams
// with one recvmmsg into fixed slots of a shared ArrayBuffer and calls onBatch once; each query goes
// through the same UdpFront as on node:dgram; replies are copied into out slots and leave with one
// sendmmsg at the end of the batch. Answers that waited on an upstream are queued into the out slots
// and flushed together once per event-loop turn (setImmediate), so that the upstream answers libuv
// read in one poll phase leave in one syscall too.
//
// Why: measured with bench/batched-floor.ts (dnsperf on loopback, same flip responder both ways,
// 6 Dec 2026): node:dgram 14.0 µs of server CPU per query, 22 k q/s; batched 2.5 µs, 47 k q/s (dnsperf
// was the limit). banwall's profile had the send to the client at ~22 µs of a 30-40 µs hit.
//
// The batch path allocates one Buffer per query (the query bytes: the chain keeps them while an
// upstream answers, and the slot is reused by the next batch), as dgram does; no closure, no rinfo,
// and IPv4 client names come from a small cache.
import type { BatchedHandle, BatchedUdpAddon } from '../../net/batched-udp-addon.ts';
import { ADDR_STRIDE, BatchedLayout } from '../../net/batched-udp-addon.ts';
import { sockaddrText } from './batched-udp-address.ts';
import type { FrontendCounters } from './frontend-counters.ts';
import type { UdpFront, UdpReplyPath } from './udp-front.ts';

// 64 datagrams per recvmmsg: past ~32 the syscall saving flattens; a slot holds any query (a DNS
// query over UDP is a header, one question and an OPT record: well under 2 KiB; longer datagrams are
// reported truncated and dropped). Out slots hold a 1232-byte answer with room; bigger answers
// (dns.maxUdpSize raised, cookie-proven clients) leave by sendDirect.
const IN_SLOTS = 64;
const IN_SLOT_SIZE = 2048;
const OUT_SLOTS = 128;
const OUT_SLOT_SIZE = 2048;
const ADDR_WORDS = ADDR_STRIDE / 4;

/** A bound batched socket: the port, and the reply path over it. */
export class BatchedReplies implements UdpReplyPath<number> {
  readonly port: number;
  private readonly addon: BatchedUdpAddon;
  private readonly counters: FrontendCounters;
  private readonly L = new BatchedLayout(IN_SLOTS, IN_SLOT_SIZE, OUT_SLOTS, OUT_SLOT_SIZE);
  private readonly handle: BatchedHandle;
  private front: UdpFront<number> | null = null;
  private closed = false;
  /** Out slots filled since the last flush. */
  private outCount = 0;
  /** Inside onBatch: the batch's end flushes; otherwise a send schedules one. */
  private inBatch = false;
  private flushScheduled = false;
  // Addresses of clients whose answers wait on an upstream: ADDR_WORDS words per ticket, a stack of
  // free tickets; grows by doubling (a ticket is an address, 32 bytes).
  private held = new Int32Array(1024 * ADDR_WORDS);
  private free = new Int32Array(1024);
  private freeTop = 0;
  private readonly flushLaterBound = (): void => this.flushLater();

  private constructor(addon: BatchedUdpAddon, fd: number, port: number, counters: FrontendCounters) {
    this.addon = addon;
    this.port = port;
    this.counters = counters;
    for (let i = this.free.length - 1; i >= 0; i--) this.free[this.freeTop++] = i;
    // Reading starts now, as dgram's does at bind; datagrams before listen() are dropped, as dgram's
    // are without a 'message' listener.
    this.handle = addon.open(fd, this.L.memory, this.L.numbers, (n) => this.onBatch(n));
  }

  /** Binds `host:port` (v6-only for IPv6; SO_REUSEPORT in `dns.workers` processes). Throws like bind. */
  static bind(
    addon: BatchedUdpAddon,
    host: string,
    port: number,
    v6: boolean,
    reusePort: boolean,
    counters: FrontendCounters,
  ): BatchedReplies {
    const [fd, bound] = addon.bind(host, port, v6, reusePort);
    return new BatchedReplies(addon, fd, bound, counters);
  }

  /** Starts reading; each datagram goes to `front`. */
  listen(front: UdpFront<number>): void {
    this.front = front;
  }

  private onBatch(n: number): void {
    const L = this.L;
    const front = this.front;
    if (front === null) return;
    this.inBatch = true;
    try {
      for (let i = 0; i < n; i++) {
        const len = L.inLen[i];
        if (len < 0) {
          this.counters.dropped++; // longer than a slot: no DNS query is
          continue;
        }
        const from = i * L.inSlotSize;
        const msg = Buffer.allocUnsafe(len);
        L.bytes.copy(msg, 0, from, from + len);
        front.receive(msg, sockaddrText(L.bytes, L.inAddr + i * ADDR_STRIDE), i);
      }
    } finally {
      this.inBatch = false;
      this.flush();
    }
  }

  send(reply: Buffer, to: number): void {
    if (this.closed) return this.drop(to);
    const L = this.L;
    if (reply.length > L.outSlotSize) return this.sendDirect(reply, to);
    if (this.outCount === L.outSlots) this.flush();
    const slot = this.outCount++;
    this.copyAddress(to, slot);
    reply.copy(L.bytes, L.outData + slot * L.outSlotSize);
    L.outLen[slot] = reply.length;
    if (!this.inBatch && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushLaterBound);
    }
  }

  drop(to: number): void {
    if (to < 0) this.release(to);
  }

  /** In-slot `to` is reused by the next batch: a pending answer's address moves to a ticket (< 0). */
  hold(to: number): number {
    if (to < 0) return to;
    if (this.freeTop === 0) this.grow();
    const ticket = this.free[--this.freeTop];
    const src = (this.L.inAddr + to * ADDR_STRIDE) >> 2;
    const dst = ticket * ADDR_WORDS;
    for (let w = 0; w < ADDR_WORDS; w++) this.held[dst + w] = this.L.words[src + w];
    return -1 - ticket;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.flush();
      this.closed = true;
      this.addon.close(this.handle);
    }
    return Promise.resolve();
  }

  /** sendmmsg of every filled out slot. */
  private flush(): void {
    const n = this.outCount;
    if (n === 0) return;
    this.outCount = 0;
    const sent = this.addon.flush(this.handle, n);
    if (sent < n) this.counters.sendFailed += n - sent;
  }

  private flushLater(): void {
    this.flushScheduled = false;
    this.flush();
  }

  private sendDirect(reply: Buffer, to: number): void {
    this.flush(); // out slot 0's address field is free after a flush
    this.copyAddress(to, 0);
    if (!this.addon.sendDirect(this.handle, reply, 0)) this.counters.sendFailed++;
  }

  /** Writes `to`'s address (an in slot, or a ticket, which is released) into out slot `slot`. */
  private copyAddress(to: number, slot: number): void {
    const words = this.L.words;
    const dst = (this.L.outAddr + slot * ADDR_STRIDE) >> 2;
    if (to >= 0) {
      const src = (this.L.inAddr + to * ADDR_STRIDE) >> 2;
      for (let w = 0; w < ADDR_WORDS; w++) words[dst + w] = words[src + w];
    } else {
      const src = (-1 - to) * ADDR_WORDS;
      for (let w = 0; w < ADDR_WORDS; w++) words[dst + w] = this.held[src + w];
      this.release(to);
    }
  }

  private release(to: number): void {
    this.free[this.freeTop++] = -1 - to;
  }

  private grow(): void {
    const size = this.free.length;
    const held = new Int32Array(size * 2 * ADDR_WORDS);
    held.set(this.held);
    this.held = held;
    const free = new Int32Array(size * 2);
    for (let i = size * 2 - 1; i >= size; i--) free[this.freeTop++] = i;
    this.free = free;
  }
}
