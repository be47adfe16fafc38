// Folding identical repeated events into one stored row with a count (events.store.foldWindow):
// repeats are one row, searches and summaries count every event, anything that differs (client,
// name, type, answer) is its own row, the window's edge, a full ring counting the events it drops,
// and the writer thread running below the serving thread's priority.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RowRing } from '../../src/events/row-ring.ts';
import { SqliteEventStore, openDatabase } from '../../src/events/sqlite-store.ts';
import { EventStore } from '../../src/events/event-store.ts';
import { csvHeader, csvLine, filterFrom, searchEvents, summarize } from '../../src/events/search.ts';
import { blockEvent } from '../helpers/events.ts';

const T0 = 1_800_000_000_000;

async function dbFile(): Promise<string> {
  return path.join(await mkdtemp(path.join(tmpdir(), 'banwall-fold-')), 'events.db');
}

/** A store in a fresh file: a small queue, a 50 ms flush, no pruning; `over` changes any of it. */
async function testStore(over: Partial<ConstructorParameters<typeof SqliteEventStore>[0]> = {}) {
  return new SqliteEventStore({
    file: await dbFile(),
    queueSize: 100,
    flushInterval: 50,
    maxAge: 0,
    maxBytes: 0,
    ...over,
  });
}

/** Everything the ring holds, written through the writer's own path, then read back newest first. */
async function stored(ring: RowRing) {
  const s = await testStore();
  for (let b = ring.take(1000, Infinity); b !== null; b = ring.take(1000, Infinity)) assert.ok(s.write(b));
  return s;
}

void test('identical repeated blocks are one row whose count and last time cover them all', async () => {
  const ring = new RowRing(100, 1000);
  for (let i = 0; i < 5; i++) ring.offer(blockEvent({ time: T0 + i * 100 }));
  assert.equal(ring.length, 1);
  const s = await stored(ring);
  const [row] = searchEvents(s.db, {}).events;
  assert.equal(row.count, 5);
  assert.equal(row.time, T0);
  assert.equal(row.last, T0 + 400);
  assert.equal(s.written, 5, 'written counts events, not rows');
  assert.equal(s.rows, 1);
  s.close();
});

void test('a different client, name, type or answer is not folded', async () => {
  const ring = new RowRing(100, 1000);
  ring.offer(blockEvent({ time: T0 }));
  ring.offer(blockEvent({ time: T0 + 1, client: '127.0.0.3' }));
  ring.offer(blockEvent({ time: T0 + 2, target: 'dldir1.qq.com' }));
  ring.offer(blockEvent({ time: T0 + 3, kind: 'AAAA' }));
  ring.offer(blockEvent({ time: T0 + 4, answer: 'REFUSED' }));
  ring.offer(blockEvent({ time: T0 + 5, protocol: 'tcp' }));
  ring.offer(blockEvent({ time: T0 + 6 })); // folds into the first
  const s = await stored(ring);
  const rows = searchEvents(s.db, {}).events;
  assert.equal(rows.length, 6);
  assert.deepEqual(
    rows.map((r) => r.count),
    [1, 1, 1, 1, 1, 2],
  );
  s.close();
});

void test('the window: an event within it folds, one at its end starts a new row', async () => {
  const ring = new RowRing(100, 1000);
  ring.offer(blockEvent({ time: T0 }));
  ring.offer(blockEvent({ time: T0 + 999 }));
  ring.offer(blockEvent({ time: T0 + 1000 }));
  ring.offer(blockEvent({ time: T0 + 1500 }));
  const s = await stored(ring);
  const rows = searchEvents(s.db, {}).events;
  assert.deepEqual(
    rows.map((r) => [r.time, r.count, r.last]),
    [
      [T0 + 1000, 2, T0 + 1500],
      [T0, 2, T0 + 999],
    ],
  );
  s.close();
});

void test('a row is taken for the writer only once its window has passed', async () => {
  const ring = new RowRing(100, 80);
  ring.offer(blockEvent());
  assert.equal(ring.take(100), null, 'still within its window');
  await sleep(120);
  const batch = ring.take(100);
  assert.ok(batch !== null);
  assert.equal(batch.targets.length, 1);
  assert.equal(ring.length, 0);
});

void test('with foldWindow 0 every event is its own row', async () => {
  const ring = new RowRing(100, 0);
  for (let i = 0; i < 3; i++) ring.offer(blockEvent({ time: T0 }));
  assert.equal(ring.length, 3);
});

void test('search, summary and CSV count the events of folded rows', async () => {
  const ring = new RowRing(100, 1000);
  for (let i = 0; i < 3; i++) ring.offer(blockEvent({ time: T0 + i, client: '127.0.0.2' }));
  ring.offer(blockEvent({ time: T0 + 5, client: '127.0.0.3' }));
  ring.offer(blockEvent({ time: T0 + 6, client: '127.0.0.3', app: 'kaspersky', target: 'kaspersky.com' }));
  const s = await stored(ring);
  const none = filterFrom(() => undefined);
  assert.deepEqual(summarize(s.db, 'client', none), [
    { key: '127.0.0.2', count: 3, last: T0 + 2 },
    { key: '127.0.0.3', count: 2, last: T0 + 6 },
  ]);
  assert.deepEqual(
    summarize(s.db, 'app', none).map((c) => [c.key, c.count]),
    [
      ['wechat', 4],
      ['kaspersky', 1],
    ],
  );
  const [row] = searchEvents(s.db, { client: '127.0.0.2' }).events;
  assert.equal(row.count, 3);
  const header = csvHeader().trim().split(',');
  const cells = csvLine(row).trim().split(',');
  assert.equal(cells[header.indexOf('count')], '3');
  assert.equal(cells[header.indexOf('last')], new Date(T0 + 2).toISOString());
  s.close();
});

void test('a full ring drops its oldest row and counts every event it stood for', () => {
  const ring = new RowRing(2, 1000);
  for (let i = 0; i < 3; i++) ring.offer(blockEvent({ time: T0 + i }));
  ring.offer(blockEvent({ time: T0, target: 'b.example' }));
  ring.offer(blockEvent({ time: T0, target: 'c.example' }));
  assert.equal(ring.dropped, 3);
  // The dropped row's target no longer folds: a new event of it is a new row.
  ring.offer(blockEvent({ time: T0 + 4 }));
  assert.equal(ring.dropped, 4, 'b.example went to make room');
  assert.equal(ring.length, 2);
});

void test('the writer thread folds through to the file and counts written and folded events', async () => {
  const file = await dbFile();
  const s = new EventStore({
    file,
    queueSize: 1000,
    flushInterval: 20,
    maxAge: 0,
    maxBytes: 0,
    foldWindow: 200,
  });
  for (let i = 0; i < 10; i++) s.offer(blockEvent({ time: Date.now() }));
  s.offer(blockEvent({ target: 'other.example' }));
  await s.close();
  assert.equal(s.written, 11);
  assert.equal(s.folded, 8, 'the 9 repeats of the first event took one row');
  const db = openDatabase(file, true);
  const rows = searchEvents(db, {}).events;
  assert.deepEqual(
    rows.map((r) => [r.target, r.count]),
    [
      ['weixin.qq.com', 9],
      ['other.example', 1],
      ['weixin.qq.com', 1],
    ],
  );
  db.close();
});

void test(
  'the writer thread runs at a lower priority than the thread that answers',
  { skip: !existsSync('/proc/thread-self') && 'no /proc/thread-self (not Linux)' },
  async () => {
    const field = async (task: string, n: number) =>
      Number((await readFile(`/proc/self/task/${task}/stat`, 'utf8')).split(') ')[1].split(' ')[n - 3]);
    const nice = (task: string) => field(task, 19);
    // SCHED_IDLE (5) when the native addon is built, else nice 19 (writer-priority.ts).
    const lowered = async (task: string) =>
      (await field(task, 41)) === 5 || (await nice(task)) === Math.max(19, base);
    const base = await nice(String(process.pid));
    const before = new Set(await readdir('/proc/self/task'));
    const s = new EventStore({
      file: await dbFile(),
      queueSize: 10,
      flushInterval: 20,
      maxAge: 0,
      maxBytes: 0,
    });
    let niced = false;
    for (let i = 0; i < 100 && !niced; i++) {
      await sleep(50);
      for (const t of await readdir('/proc/self/task'))
        if (!before.has(t) && (await lowered(t))) niced = true;
    }
    await s.close();
    assert.ok(niced, 'a new thread at SCHED_IDLE or nice 19');
    assert.equal(await nice(String(process.pid)), 0, 'the serving thread keeps its priority');
  },
);

void test('a schema-1 file (before folding) is upgraded in place and its rows read count 1', async () => {
  const { DatabaseSync } = await import('node:sqlite');
  const file = await dbFile();
  const old = new DatabaseSync(file);
  old.exec(`
    CREATE TABLE events (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, client TEXT NOT NULL,
      client_key BLOB NOT NULL, grp TEXT NOT NULL, identity TEXT NOT NULL, layer TEXT NOT NULL,
      protocol TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL, decision TEXT NOT NULL,
      app TEXT NOT NULL, category TEXT NOT NULL, list TEXT NOT NULL, rule TEXT NOT NULL,
      source TEXT NOT NULL, answer TEXT NOT NULL, duration_ms REAL NOT NULL, intercepted INTEGER NOT NULL);
    INSERT INTO events VALUES (1, ${T0}, '127.0.0.2', x'00', 'default', '', 'dns', 'udp', 'old.example', 'A',
      'blocked', 'wechat', 'core', 'wechat-core', 'old.example', 'core.txt:1', 'NXDOMAIN', 0.1, 0);
    PRAGMA user_version = 1;
  `);
  old.close();
  assert.throws(() => openDatabase(file, true), /schema 1 \(banwall serve upgrades it/);
  const s = new SqliteEventStore({ file, queueSize: 10, flushInterval: 50, maxAge: 0, maxBytes: 0 });
  s.offer(blockEvent({ time: T0 + 1 }));
  s.flush();
  assert.deepEqual(
    searchEvents(s.db, {}).events.map((e) => [e.target, e.count, e.last]),
    [
      ['weixin.qq.com', 1, T0 + 1],
      ['old.example', 1, T0],
    ],
  );
  s.close();
});

void test('the ring grows past its first columns with rows in order and folding intact', () => {
  const ring = new RowRing(3000, 1000);
  for (let i = 0; i < 800; i++) ring.offer(blockEvent({ time: T0, target: `n${i}.example` }));
  assert.equal(ring.take(500, Infinity)?.targets.length, 500);
  for (let i = 800; i < 1800; i++) ring.offer(blockEvent({ time: T0, target: `n${i}.example` }));
  ring.offer(blockEvent({ time: T0 + 1, target: 'n600.example' }));
  ring.offer(blockEvent({ time: T0 + 2, target: 'n1700.example' }));
  assert.equal(ring.length, 1300);
  const b = ring.take(5000, Infinity)!;
  assert.deepEqual(
    b.targets,
    Array.from({ length: 1300 }, (_, i) => `n${i + 500}.example`),
  );
  const counts = new Map(b.targets.map((t, i) => [t, b.numbers[i * 5 + 3]]));
  assert.equal(counts.get('n600.example'), 2);
  assert.equal(counts.get('n1700.example'), 2);
  assert.equal(counts.get('n601.example'), 1);
  assert.equal(ring.dropped, 0);
});

void test('the store writes an event at once and its repeats as one row when the window has passed', async () => {
  const s = await testStore({ foldWindow: 100 });
  for (let i = 0; i < 5; i++) s.offer(blockEvent({ time: T0 + i }));
  s.offer(blockEvent({ time: T0, target: 'once.example' }));
  s.flush(performance.now());
  assert.deepEqual(
    searchEvents(s.db, {}).events.map((e) => [e.target, e.count, e.time]),
    [
      ['once.example', 1, T0],
      ['weixin.qq.com', 1, T0],
    ],
    'the first of each is searchable at once',
  );
  await sleep(150);
  s.flush(performance.now());
  const [repeats] = searchEvents(s.db, {}).events;
  assert.deepEqual(
    [repeats.target, repeats.count, repeats.time, repeats.last],
    ['weixin.qq.com', 4, T0 + 1, T0 + 4],
  );
  assert.equal(searchEvents(s.db, {}).events.length, 3, "no row for once.example's (absent) repeats");
  assert.equal(
    summarize(
      s.db,
      'app',
      filterFrom(() => undefined),
    )[0].count,
    6,
  );
  s.close();
});
