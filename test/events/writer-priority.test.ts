// The event store's writer thread runs below the threads that answer (issue 14: "the resolver never
// waits for a disk"): SCHED_IDLE when the native addon is built, else nice 19. Read back from
// /proc, the kernel's own view of each thread of this process.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventStore } from '../../src/events/event-store.ts';
import { WRITER_NICE } from '../../src/events/writer-priority.ts';
import { loadBatchedUdp } from '../../src/net/batched-udp-addon.ts';

const SCHED_IDLE = 5;

/** Per thread of this process: nice and scheduling policy (fields 19 and 41 of /proc/…/stat). */
function threads(): { nice: number; policy: number }[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), counted from field 3.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { nice: Number(f[19 - 3]), policy: Number(f[41 - 3]) };
  });
}

void test(
  'the writer thread runs at SCHED_IDLE (addon built) or nice 19',
  { skip: process.platform !== 'linux' },
  async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'banwall-writer-prio-'));
    const store = new EventStore({
      file: path.join(dir, 'events.db'),
      queueSize: 1000,
      flushInterval: 50,
      maxAge: 0,
      maxBytes: 0,
    });
    try {
      const t0 = Date.now();
      while (store.writerPriority === undefined && Date.now() - t0 < 10_000) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const expected = loadBatchedUdp() !== null ? 'idle' : 'nice';
      assert.equal(store.writerPriority, expected);
      const lowered = threads().filter((t) =>
        expected === 'idle' ? t.policy === SCHED_IDLE : t.nice === WRITER_NICE,
      );
      assert.equal(lowered.length, 1, JSON.stringify(threads()));
      // Only the writer: this (the serving) thread keeps its priority.
      const self = readFileSync('/proc/thread-self/stat', 'utf8');
      const f = self.slice(self.lastIndexOf(')') + 2).split(' ');
      assert.notEqual(Number(f[41 - 3]), SCHED_IDLE);
      assert.notEqual(Number(f[19 - 3]), WRITER_NICE);
    } finally {
      await store.close();
    }
  },
);
