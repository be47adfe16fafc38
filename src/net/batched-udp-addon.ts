// Loads the optional batched-UDP addon (native/batched-udp.c, built by native/build.ts) and lays out
// the one ArrayBuffer it shares with JS. Absent, unloadable, or BANWALL_NO_NATIVE=1: null, and the
// front end uses node:dgram. Lives here, below the DNS front end and the upstream link, which both
// use it (as reuse-port.ts does).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The addon's functions (see the C file for each contract). */
export interface BatchedUdpAddon {
  /** Binds a non-blocking UDP socket (IPv6 ones v6-only); returns [fd, bound port]. Throws with `code`. */
  bind(host: string, port: number, v6: boolean, reusePort: boolean): [number, number];
  /** Starts reading `fd`; `onBatch(n)` is called once per recvmmsg batch of n datagrams. */
  open(
    fd: number,
    memory: ArrayBuffer,
    layout: readonly number[],
    onBatch: (n: number) => void,
  ): BatchedHandle;
  /** sendmmsg of out slots 0..n-1; returns how many the kernel took. */
  flush(handle: BatchedHandle, n: number): number;
  /** sendto of one datagram larger than an out slot, to out slot `slot`'s address. */
  sendDirect(handle: BatchedHandle, reply: Buffer, slot: number): boolean;
  close(handle: BatchedHandle): void;
  /** Connects `fd` (answers from that peer only; out slots with family 0 go to it). Throws with `code`. */
  connect(fd: number, host: string, port: number, v6: boolean): void;
  /** The socket no longer keeps the process alive. */
  unref(handle: BatchedHandle): void;
}

/**
 * The addon for upstream UDP sockets, set by the DNS front end at start when it serves with the
 * addon (`dns.batchedIo`), so that misses use it too; null: node:dgram. `generation` counts the
 * changes: an upstream socket opened before (the health probe's, at start) is replaced at its
 * next send, as at a rotation.
 */
export const batchedUpstream: { addon: BatchedUdpAddon | null; generation: number } = {
  addon: null,
  generation: 0,
};

export function useBatchedUpstream(addon: BatchedUdpAddon | null): void {
  if (batchedUpstream.addon === addon) return;
  batchedUpstream.addon = addon;
  batchedUpstream.generation++;
}

/** An opaque handle (a Node-API external). */
export type BatchedHandle = { readonly __batchedUdp: unique symbol };

export const ADDON_PATH = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../native/build/batched_udp.node',
);

let loaded: BatchedUdpAddon | null | undefined;
let loadError = '';

/** The addon, or null (with `nativeLoadError()` saying why). Loaded once. */
export function loadBatchedUdp(): BatchedUdpAddon | null {
  if (loaded !== undefined) return loaded;
  if (process.env.BANWALL_NO_NATIVE === '1') {
    loadError = 'BANWALL_NO_NATIVE=1';
    loaded = null;
    return loaded;
  }
  try {
    loaded = createRequire(import.meta.url)(ADDON_PATH) as BatchedUdpAddon;
  } catch (err) {
    loadError =
      (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ? 'not built' : (err as Error).message;
    loaded = null;
  }
  return loaded;
}

export function nativeLoadError(): string {
  return loadError;
}

/** Bytes between two slots' addresses: a sockaddr_in6 (28 bytes), rounded up. */
export const ADDR_STRIDE = 32;

/** Where each region of the shared memory starts; the C side gets the same numbers in `open`. */
export class BatchedLayout {
  readonly memory: ArrayBuffer;
  readonly bytes: Buffer;
  readonly words: Int32Array;
  readonly inLen: Int32Array;
  readonly outLen: Int32Array;
  readonly inData = 0;
  readonly inAddr: number;
  readonly outData: number;
  readonly outAddr: number;
  readonly numbers: readonly number[];
  readonly inSlots: number;
  readonly inSlotSize: number;
  readonly outSlots: number;
  readonly outSlotSize: number;

  constructor(inSlots: number, inSlotSize: number, outSlots: number, outSlotSize: number) {
    this.inSlots = inSlots;
    this.inSlotSize = inSlotSize;
    this.outSlots = outSlots;
    this.outSlotSize = outSlotSize;
    this.inAddr = inSlots * inSlotSize;
    const inLenAt = this.inAddr + inSlots * ADDR_STRIDE;
    this.outData = inLenAt + inSlots * 4;
    this.outAddr = this.outData + outSlots * outSlotSize;
    const outLenAt = this.outAddr + outSlots * ADDR_STRIDE;
    this.memory = new ArrayBuffer(outLenAt + outSlots * 4);
    this.bytes = Buffer.from(this.memory);
    this.words = new Int32Array(this.memory);
    this.inLen = new Int32Array(this.memory, inLenAt, inSlots);
    this.outLen = new Int32Array(this.memory, outLenAt, outSlots);
    this.numbers = [
      inSlots,
      inSlotSize,
      outSlots,
      outSlotSize,
      this.inData,
      this.inAddr,
      inLenAt,
      this.outData,
      this.outAddr,
      outLenAt,
    ];
  }
}
