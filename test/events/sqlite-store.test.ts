// The event store against a real SQLite file: batched writes, search filters and paging, CIDR
// clients, retention by age and size, a full queue dropping the oldest, and rows kept across reopen.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteEventStore, openDatabase } from '../../src/events/sqlite-store.ts';
import { filterFrom, searchEvents, summarize, csvLine, FilterError } from '../../src/events/search.ts';
import type { PolicyEvent } from '../../src/events/event.ts';
import { blockEvent } from '../helpers/events.ts';

function event(over: Partial<PolicyEvent> = {}): PolicyEvent {
  return blockEvent({ durationMs: 0.05, ...over });
}

async function store(over: Partial<ConstructorParameters<typeof SqliteEventStore>[0]> = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-events-'));
  return new SqliteEventStore({
    file: path.join(dir, 'events.db'),
    queueSize: 10_000,
    flushInterval: 50,
    maxAge: 0,
    maxBytes: 0,
    ...over,
  });
}

void test('events are written in batches and found by client, CIDR, app, layer and substring', async () => {
  const s = await store();
  s.offer(event({ client: '127.0.0.2' }));
  s.offer(
    event({
      client: '127.0.0.3',
      app: 'kaspersky',
      target: 'kaspersky.com',
      layer: 'proxy',
      protocol: 'http',
      kind: 'GET',
    }),
  );
  s.offer(event({ client: '2001:db8::7', target: 'dldir1.qq.com/weixin/WeChatSetup.exe' }));
  assert.equal(s.queued, 3);
  s.flush();
  assert.equal(s.written, 3);
  const q = (p: Record<string, string>) =>
    searchEvents(
      s.db,
      filterFrom((k) => p[k]),
    );
  assert.deepEqual(
    q({ client: '127.0.0.2' }).events.map((e) => e.client),
    ['127.0.0.2'],
  );
  assert.equal(q({ client: '127.0.0.0/24' }).events.length, 2);
  assert.equal(q({ client: '2001:db8::/32' }).events.length, 1);
  assert.deepEqual(
    q({ app: 'kaspersky' }).events.map((e) => e.target),
    ['kaspersky.com'],
  );
  assert.equal(q({ layer: 'proxy' }).events[0].kind, 'GET');
  assert.equal(q({ q: 'WeChatSetup' }).events.length, 1);
  const all = q({}).events;
  assert.deepEqual(
    all.map((e) => e.id),
    [3, 2, 1],
    'newest first',
  );
  assert.equal(all[2].source, 'blocklists/wechat/core.txt:3');
  assert.deepEqual(
    summarize(
      s.db,
      'app',
      filterFrom(() => undefined),
    ),
    [
      { key: 'wechat', count: 2, last: all[0].time },
      { key: 'kaspersky', count: 1, last: all[1].time },
    ],
  );
  s.close();
});

void test('paging with a cursor walks every row once, newest first', async () => {
  const s = await store();
  for (let i = 0; i < 25; i++) s.offer(event({ target: `n${i}.example` }));
  s.flush();
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const p = searchEvents(
      s.db,
      filterFrom((k) => (k === 'limit' ? '10' : k === 'cursor' ? cursor : undefined)),
    );
    seen.push(...p.events.map((e) => e.target));
    if (p.next === undefined) break;
    cursor = String(p.next);
  }
  assert.equal(seen.length, 25);
  assert.equal(seen[0], 'n24.example');
  assert.equal(new Set(seen).size, 25);
  s.close();
});

void test('bad filters are refused with a reason', () => {
  for (const [k, v] of [
    ['client', 'notanip'],
    ['layer', 'smtp'],
    ['decision', 'maybe'],
    ['limit', '0'],
    ['limit', '100000'],
    ['since', 'yesterday-ish'],
    ['cursor', '-3'],
  ]) {
    assert.throws(() => filterFrom((key) => (key === k ? v : undefined)), FilterError, `${k}=${v}`);
  }
  const now = 1_700_000_000_000;
  assert.equal(filterFrom((k) => (k === 'since' ? '15m' : undefined), now).since, now - 900_000);
});

void test('a full queue drops the oldest events and counts them', async () => {
  const s = await store({ queueSize: 5 });
  for (let i = 0; i < 8; i++) s.offer(event({ target: `n${i}.example` }));
  assert.equal(s.dropped, 3);
  s.flush();
  const targets = searchEvents(s.db, {}).events.map((e) => e.target);
  assert.deepEqual(targets, ['n7.example', 'n6.example', 'n5.example', 'n4.example', 'n3.example']);
  s.close();
});

void test('retention removes rows past maxAge and the oldest rows past maxBytes', async () => {
  const s = await store({ maxAge: 60_000 });
  const now = Date.now();
  s.offer(event({ time: now - 120_000, target: 'old.example' }));
  s.offer(event({ time: now, target: 'new.example' }));
  s.flush();
  s.enforceRetention(now);
  assert.deepEqual(
    searchEvents(s.db, {}).events.map((e) => e.target),
    ['new.example'],
  );
  s.close();

  const sized = await store({ maxBytes: 256 * 1024 });
  for (let i = 0; i < 20_000; i++)
    sized.offer(event({ target: `name-${i}.padding-padding-padding.example` }));
  sized.flush();
  assert.ok(sized.liveBytes() > 256 * 1024);
  sized.enforceRetention();
  assert.ok(sized.liveBytes() <= 256 * 1024, `live bytes ${sized.liveBytes()}`);
  const newest = searchEvents(sized.db, { limit: 1 }).events[0];
  assert.equal(newest.target, 'name-19999.padding-padding-padding.example', 'the newest rows stay');
  sized.close();
});

void test('spoofed clients cannot hold the file past maxBytes: unused dictionary entries go with their rows', async () => {
  const sized = await store({ maxBytes: 256 * 1024 });
  // An attacker's blocked queries from 20,000 source addresses, then one real client's.
  for (let i = 0; i < 20_000; i++) sized.offer(event({ client: `2001:db8::${i.toString(16)}:1` }));
  sized.flush();
  for (let i = 0; i < 200; i++) sized.offer(event({ client: '127.0.0.9', target: `real-${i}.example` }));
  sized.flush();
  sized.enforceRetention();
  assert.ok(sized.liveBytes() <= 256 * 1024, `live bytes ${sized.liveBytes()}`);
  const left = searchEvents(sized.db, { limit: 1000 }).events;
  assert.ok(
    left.some((e) => e.client === '127.0.0.9'),
    'the newest events stay',
  );
  const { n } = sized.db.prepare('SELECT count(*) AS n FROM clients').get() as { n: number };
  const { m } = sized.db.prepare('SELECT count(DISTINCT client) AS m FROM events').get() as { m: number };
  assert.equal(n, m, 'no client entry outlives its rows');
  // Ids freed by the prune are not mistaken for the old clients' (the writer's cache was reset).
  sized.offer(event({ client: '2001:db8::ffff:1', target: 'after.example' }));
  sized.offer(event({ client: '127.0.0.10', target: 'after2.example' }));
  sized.flush();
  const after = searchEvents(sized.db, { limit: 2 }).events.map((e) => [e.client, e.target]);
  assert.deepEqual(after, [
    ['127.0.0.10', 'after2.example'],
    ['2001:db8::ffff:1', 'after.example'],
  ]);
  sized.close();
});

void test('committed events are there after the file is reopened, and a reader sees them', async () => {
  const s = await store();
  s.offer(event({ target: 'kept.example' }));
  s.close(); // close flushes
  const reader = openDatabase(s.file, true);
  assert.equal(searchEvents(reader, {}).events[0].target, 'kept.example');
  reader.close();
  const again = new SqliteEventStore({
    file: s.file,
    queueSize: 10,
    flushInterval: 50,
    maxAge: 0,
    maxBytes: 0,
  });
  again.offer(event({ target: 'second.example' }));
  again.flush();
  assert.deepEqual(
    searchEvents(again.db, {}).events.map((e) => e.target),
    ['second.example', 'kept.example'],
  );
  again.close();
});

void test('CSV export quotes fields and defuses spreadsheet formulas', () => {
  const line = csvLine({ ...event({ target: '=cmd|x,y', rule: 'a"b' }), id: 1, count: 1, last: 0 });
  assert.match(line, /"'=cmd\|x,y"/);
  assert.match(line, /"a""b"/);
});

void test('the writer thread commits what the serving thread offers, and close() waits for it', async () => {
  const { EventStore } = await import('../../src/events/event-store.ts');
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-events-'));
  const file = path.join(dir, 'sub', 'events.db');
  const s = new EventStore({ file, queueSize: 100, flushInterval: 20, maxAge: 0, maxBytes: 0 });
  for (let i = 0; i < 150; i++) s.offer(event({ target: `w${i}.example` }));
  assert.equal(s.dropped, 50, 'the queue holds 100; the 50 oldest were dropped');
  await s.close();
  const db = openDatabase(file, true);
  const page = searchEvents(db, { limit: 1000 });
  assert.equal(page.events.length, 100);
  assert.equal(page.events[0].target, 'w149.example');
  assert.equal(page.events[0].source, 'blocklists/wechat/core.txt:3');
  db.close();
});
