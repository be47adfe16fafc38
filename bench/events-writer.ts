// The event store's writer alone, in-process, in CPU time: encoded batches of blocked DNS events
// (10,000 names cycled, half blocked by their own name and half by a parent rule) inserted by each
// checkout's SqliteEventStore, trees alternating, several rounds; CPU µs per row and the file's
// bytes per row after the last checkpoint. `node bench/events-writer.ts [ROOT …]` (ROWS=200000).
// With FOLD, a tree that folds on the serving thread (repeat-folder.ts) gets its batches folded
// there, outside the writer's measured CPU; ROWS then counts events, and µs per row is per event.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const roots = process.argv.length > 2 ? process.argv.slice(2) : [ROOT];
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const ROWS = Number(process.env.ROWS ?? 200_000);
const BATCH = 2000;
/** events.store.foldWindow (ms): 0 measures the insert alone; the default is 1000. */
const FOLD = Number(process.env.FOLD ?? 0);
const NAMES = 10_000;
const dir = mkdtempSync(path.join(tmpdir(), 'banwall-events-writer-'));

interface Ring {
  offer(e: object): void;
  push?: (...args: unknown[]) => void;
  take(max: number, now: number): unknown;
}
interface Folder {
  now: number;
  push: (...args: unknown[]) => void;
  drain(now: number): void;
}
interface Store {
  offerBatch(b: unknown): void;
  close(): void;
}

async function load(root: string) {
  const { RowRing } = (await import(path.join(root, 'src/events/row-ring.ts'))) as {
    RowRing: new (cap: number, window: number) => Ring;
  };
  const { SqliteEventStore } = (await import(path.join(root, 'src/events/sqlite-store.ts'))) as {
    SqliteEventStore: new (o: object) => Store;
  };
  // Trees before it folded on the writer (offerBatch).
  const folder = (await import(path.join(root, 'src/events/repeat-folder.ts')).catch(() => null)) as {
    RepeatFolder: new (rows: Ring, window: number) => Folder;
  } | null;
  return { root, RowRing, SqliteEventStore, RepeatFolder: folder?.RepeatFolder };
}

const names = Array.from({ length: NAMES }, (_, i) => `b${i}.t${i % 97}.blocked.bench`);
const rules = names.map((n, i) => (i % 2 === 0 ? n : `t${i % 97}.blocked.bench`));

async function run(
  t: Awaited<ReturnType<typeof load>>,
  round: number,
): Promise<{ us: number; bytes: number }> {
  const file = path.join(dir, `${round}-${path.basename(t.root)}.db`);
  const store = new t.SqliteEventStore({
    file,
    queueSize: 10_000,
    flushInterval: 250,
    maxAge: 0,
    maxBytes: 0,
    foldWindow: FOLD,
  });
  const ring = new t.RowRing(4 * BATCH, 0);
  const folder = FOLD > 0 && t.RepeatFolder !== undefined ? new t.RepeatFolder(ring, FOLD) : null;
  const rows = folder ?? ring;
  const T0 = Date.now();
  let cpu = 0;
  for (let i = 0; i < ROWS; i += BATCH) {
    for (let k = 0; k < BATCH; k++) {
      const n = (i + k) % NAMES;
      const time = T0 + (i + k) * 0.05;
      if (folder !== null) folder.now = (i + k) * 0.05;
      if (rows.push !== undefined) {
        rows.push(
          time,
          time,
          1,
          0.012,
          false,
          '127.0.0.1',
          'default',
          '',
          'dns',
          'udp',
          names[n],
          'A',
          'blocked',
          'bench',
          'core',
          'bench',
          rules[n],
          '/etc/banwall/lists/bench.txt',
          n + 1,
          'NXDOMAIN EDE 15',
        );
      } else {
        ring.offer({
          time,
          client: '127.0.0.1',
          group: 'default',
          identity: '',
          layer: 'dns',
          protocol: 'udp',
          target: names[n],
          kind: 'A',
          decision: 'blocked',
          app: 'bench',
          category: 'core',
          list: 'bench',
          rule: rules[n],
          source: `/etc/banwall/lists/bench.txt:${n + 1}`,
          answer: 'NXDOMAIN EDE 15',
          durationMs: 0.012,
          intercepted: false,
        });
      }
    }
    folder?.drain((i + BATCH) * 0.05);
    const batch = ring.take(4 * BATCH, Infinity);
    if (batch === null) continue;
    const c0 = process.threadCpuUsage();
    store.offerBatch(batch);
    const c = process.threadCpuUsage(c0);
    cpu += c.user + c.system;
  }
  store.close();
  let bytes = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      bytes += statSync(f).size;
    } catch {
      // checkpointed on close
    }
  }
  return { us: cpu / ROWS, bytes: bytes / ROWS };
}

const trees = await Promise.all(roots.map(load));
const results = new Map<string, { us: number[]; bytes: number[] }>(
  roots.map((r) => [r, { us: [], bytes: [] }]),
);
for (let round = 0; round < ROUNDS + 1; round++) {
  for (const t of round % 2 === 0 ? trees : [...trees].reverse()) {
    const r = await run(t, round);
    if (round === 0) continue; // compiles the code
    results.get(t.root)!.us.push(r.us);
    results.get(t.root)!.bytes.push(r.bytes);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [root, r] of results) {
  console.log(
    `${root}: writer ${median(r.us).toFixed(2)} µs per row (${r.us.map((v) => v.toFixed(2)).join(' ')}), ${median(r.bytes).toFixed(0)} bytes per row`,
  );
}
