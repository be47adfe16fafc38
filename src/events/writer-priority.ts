// The event store writer's scheduling: below the threads that answer. Its own module so that a test
// can run it in a worker of its own and read the result back from /proc.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { loadBatchedUdp, type BatchedUdpAddon } from '../net/batched-udp-addon.ts';

/**
 * The writer's nice value where SCHED_IDLE is not to be had. History yields to answers: when the
 * CPU is short the resolver thread and the client's load win, and the writer catches up on spare
 * cycles; if it never can, the ring fills and drops (counted) instead of the resolver slowing down.
 * Raising one's own niceness needs no privilege. 19 is the lowest: a nice-0 thread outweighs it
 * ~68 to 1 (CFS weights 1024 and 15).
 */
export const WRITER_NICE = 19;

/** How the writer thread was lowered: `idle` (SCHED_IDLE, via the native addon), `nice`, or `none`. */
export type WriterPriority = 'idle' | 'nice' | 'none';

/**
 * Lowers the calling thread: SCHED_IDLE when the optional native addon is built (below every nice
 * level: it runs only on cycles no other thread wants), else nice 19.
 */
export function lowerThisThreadsPriority(): WriterPriority {
  try {
    const addon = loadBatchedUdp() as (BatchedUdpAddon & { idleThisThread?: () => boolean }) | null;
    if (addon?.idleThisThread?.() === true) return 'idle';
  } catch {
    // An older build of the addon, or a kernel without SCHED_IDLE: nice instead.
  }
  try {
    // Linux: setpriority() on a thread id changes that thread only; /proc/thread-self names it.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    // Never raise it: a banwall started under `nice 15` keeps its writer at least at 15.
    if (Number.isInteger(tid) && tid > 0) {
      setPriority(tid, Math.max(getPriority(tid), WRITER_NICE));
      return 'nice';
    }
  } catch {
    // Not Linux, or no /proc: the writer runs at the process's priority.
  }
  return 'none';
}
