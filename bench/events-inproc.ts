// The event store's cost on the answering thread, in-process and in CPU time (which this shared
// machine distorts far less than q/s): the DNS side's ring (dns-event-ring.ts) fed blocked answers
// at a steady 20,000 a second (PER_TICK) over 10,000 names (NAMES) (a fresh name string per query, as the wire gives
// one), with the store on, minus the same with it off; trees alternate, several rounds.
//   node bench/events-inproc.ts [ROOT …]    (default: this checkout; ROUNDS=5, EVENTS=100000, NAMES=10000,
//   PER_TICK=1000; with PER_TICK=5000 EVENTS=500000 the worker's start and stop weigh ~1/5 as much)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const roots = process.argv.length > 2 ? process.argv.slice(2) : [ROOT];
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const EVENTS = Number(process.env.EVENTS ?? 100_000);
/** 10,000: each name every 0.5 s; 2,000: 10 times a second, as dnsperf's blocked loop asks them. */
const NAMES = Number(process.env.NAMES ?? 10_000);
/** Events per 50 ms tick: 1000 is 20,000 a second; 5000 (100,000 a second) as dnsperf's blocked load. */
const PER_TICK = Number(process.env.PER_TICK ?? 1000);
const TICK_MS = 50;
const dir = mkdtempSync(path.join(tmpdir(), 'banwall-events-inproc-'));

interface Ring {
  offer(q: unknown, a: unknown): void;
  flush(): void;
}
interface Tree {
  root: string;
  make(store: boolean, file: string): Promise<{ ring: Ring; close(): Promise<void> }>;
}

async function load(root: string): Promise<Tree> {
  const src = (p: string) => import(path.join(root, 'src', p));
  const { DnsEventRing } = await src('dns/querylog/dns-event-ring.ts');
  const { EventPipeline } = await src('events/pipeline.ts');
  const { LiveFeed } = await src('events/live-feed.ts');
  const { EventStore } = await src('events/event-store.ts');
  return {
    root,
    make: async (store, file) => {
      const pipeline = new EventPipeline();
      pipeline.add(new LiveFeed(), 'blocked');
      if (store) {
        pipeline.add(
          new EventStore({
            file,
            queueSize: 150_000,
            flushInterval: 250,
            maxAge: 0,
            maxBytes: 0,
            foldWindow: Number(process.env.FOLD ?? 10_000),
          }),
          'blocked',
        );
      }
      const ring = new DnsEventRing(pipeline, { all: false, sample: 1 });
      return { ring, close: () => pipeline.close() };
    },
  };
}

// Blocked names as the wire gives them: a flat string sliced from a packet per query.
const wire = Buffer.from(Array.from({ length: NAMES }, (_, i) => `b${i}.blocked.bench`).join('\n'), 'latin1');
const offsets: number[] = [0];
for (let i = 0; i < wire.length; i++) if (wire[i] === 10) offsets.push(i + 1);
offsets.push(wire.length + 1);
const answers = Array.from({ length: NAMES }, (_, i) => ({
  wire: Buffer.from([0, 1, 0x81, 0x83]),
  result: 'blocked',
  ede: { code: 15 },
  block: {
    group: 'default',
    rule: {
      list: 'bench',
      app: 'bench',
      category: 'core',
      source: '/etc/banwall/list.txt',
      line: i + 1,
      rule: `b${i}.blocked.bench`,
      action: 'nxdomain',
    },
  },
}));

async function run(ring: Ring): Promise<number> {
  const t0 = process.threadCpuUsage();
  for (let i = 0; i < EVENTS; i += PER_TICK) {
    for (let k = 0; k < PER_TICK; k++) {
      const n = (i + k) % NAMES;
      ring.offer(
        {
          name: wire.toString('latin1', offsets[n], offsets[n + 1] - 1),
          qtype: 1,
          client: '127.0.0.1',
          protocol: 'udp',
          received: performance.now(),
        },
        answers[n],
      );
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const cpu = process.threadCpuUsage(t0);
  return (cpu.user + cpu.system) / EVENTS;
}

const trees = await Promise.all(roots.map(load));
const results = new Map<string, { off: number[]; on: number[] }>(roots.map((r) => [r, { off: [], on: [] }]));
for (let round = 0; round < ROUNDS + 1; round++) {
  const order = round % 2 === 0 ? trees : [...trees].reverse();
  for (const t of order) {
    for (const store of [false, true]) {
      const m = await t.make(store, path.join(dir, `${round}-${results.size}-${Math.random()}.db`));
      const us = await run(m.ring);
      await m.close();
      // The first round compiles the code: not counted.
      if (round > 0) results.get(t.root)![store ? 'on' : 'off'].push(us);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [root, r] of results) {
  const diffs = r.on.map((v, i) => v - r.off[i]);
  console.log(
    `${root}: store off ${median(r.off).toFixed(3)} µs/event, on ${median(r.on).toFixed(3)}; the store's part ${median(diffs).toFixed(3)} µs (rounds: ${diffs.map((d) => d.toFixed(2)).join(' ')})`,
  );
}
