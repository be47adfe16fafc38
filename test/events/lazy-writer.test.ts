// The event store's writer thread (a V8 isolate with SQLite, ~11 MB) starts with the first event, or
// when the file an earlier run left needs it (an upgrade, rows past maxAge): an idle resolver
// carries no writer, and what it has on record is still kept in bounds and upgraded.
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventStore } from '../../src/events/event-store.ts';
import { SqliteEventStore, openDatabase } from '../../src/events/sqlite-store.ts';
import { schemaOf } from '../../src/events/sqlite-schema.ts';
import { searchEvents } from '../../src/events/search.ts';
import { blockEvent } from '../helpers/events.ts';

const threads = (): number => readdirSync('/proc/self/task').length;

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function file(name = 'events.db'): Promise<string> {
  return path.join(await mkdtemp(path.join(tmpdir(), 'banwall-lazy-')), name);
}

const opts = { queueSize: 1000, flushInterval: 20, maxAge: 0, maxBytes: 0, lazy: true };

void test(
  'no writer thread until the first event; then it writes it',
  { skip: process.platform !== 'linux' },
  async () => {
    const f = await file(); // (the first fs promise starts libuv's pool threads)
    const before = threads();
    const store = new EventStore({ ...opts, file: f });
    await new Promise((r) => setTimeout(r, 1300)); // past the first look at the (absent) file
    assert.equal(store.started, false);
    assert.equal(threads(), before, 'no thread started');
    store.offer(blockEvent({ target: 'first.example' }));
    await until(() => store.written === 1);
    assert.equal(store.started, true);
    await store.close();
    const db = openDatabase(store.file, true);
    assert.equal(searchEvents(db, {}).events[0].target, 'first.example');
    db.close();
  },
);

void test('a store that never got an event closes at once and leaves no file', async () => {
  const store = new EventStore({ ...opts, file: await file() });
  await store.close();
  assert.equal(store.started, false);
  assert.throws(() => openDatabase(store.file, true));
});

void test('an older file left by an earlier run is upgraded without waiting for an event', async () => {
  const f = await file();
  await copyFile(path.join(import.meta.dirname, 'fixtures', 'events-v2.db'), f);
  const store = new EventStore({ ...opts, file: f });
  await until(() => store.started);
  await until(() => {
    const db = openDatabase(f, true);
    const v = schemaOf(db);
    db.close();
    return v === 3;
  });
  await store.close();
});

void test('rows past maxAge in an idle store are removed; fresh rows alone start nothing', async () => {
  const f = await file();
  const now = Date.now();
  const seed = new SqliteEventStore({ ...opts, file: f });
  seed.offer(blockEvent({ time: now - 3_600_000, target: 'old.example' }));
  seed.offer(blockEvent({ time: now, target: 'new.example' }));
  seed.close();
  const fresh = new EventStore({ ...opts, file: f, maxAge: 7_200_000 });
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal(fresh.started, false, 'nothing past two hours');
  await fresh.close();
  const aging = new EventStore({ ...opts, file: f, maxAge: 60_000 });
  await until(() => aging.started);
  await until(() => aging.expired === 1);
  await aging.close();
  const db = openDatabase(f, true);
  assert.deepEqual(
    searchEvents(db, {}).events.map((e) => e.target),
    ['new.example'],
  );
  db.close();
});
