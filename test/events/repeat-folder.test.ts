// The serving thread's fold of repeats (repeat-folder.ts): the first event goes on at once, its
// repeats within the window leave as one row with their count and first/last time once the window
// has passed; anything that differs is its own row; a full table lets its oldest entry go early;
// and whatever the traffic, the rows' counts add up to the events pushed, per distinct event.
import test from 'node:test';
import assert from 'node:assert/strict';
import { RepeatFolder } from '../../src/events/repeat-folder.ts';
import type { RowSink } from '../../src/events/event-sink.ts';

const T0 = 1_800_000_000_000;

interface Row {
  time: number;
  last: number;
  count: number;
  client: string;
  target: string;
  kind: string;
  answer: string;
  line: number;
  duration: number;
}

/** A RowSink that keeps what it is given. */
function rowsOut(): RowSink & { rows: Row[] } {
  const rows: Row[] = [];
  return {
    rows,
    push(time, last, count, duration, _i, client, _g, _id, _l, _p, target, kind, ...rest) {
      rows.push({
        time,
        last,
        count,
        client,
        target,
        kind,
        answer: rest[7],
        line: rest[6] as number,
        duration,
      });
    },
  };
}

/** One blocked DNS event, as dns-event-ring.ts pushes it (a fresh name string, as the wire gives one). */
function push(
  f: RepeatFolder,
  time: number,
  over: Partial<{ client: string; target: string; kind: string; answer: string; line: number }> = {},
) {
  const target = over.target ?? 'weixin.qq.com';
  f.push(
    time,
    time,
    1,
    0.05,
    false,
    over.client ?? '127.0.0.2',
    'default',
    '',
    'dns',
    'udp',
    // A copy the engine cannot share with the literal: compared by content.
    [...target].join(''),
    over.kind ?? 'A',
    'blocked',
    'wechat',
    'core',
    'wechat-core',
    'weixin.qq.com',
    '/etc/banwall/core.txt',
    over.line ?? 7,
    over.answer ?? 'NXDOMAIN EDE 15',
  );
}

void test('the first event goes on at once, its repeats as one row when the window has passed', () => {
  const out = rowsOut();
  const f = new RepeatFolder(out, 1000);
  f.now = 0;
  for (let i = 0; i < 5; i++) push(f, T0 + i * 100);
  assert.deepEqual(
    out.rows.map((r) => [r.time, r.last, r.count]),
    [[T0, T0, 1]],
    'the first is a row at once; the repeats only counted',
  );
  f.drain(999);
  assert.equal(out.rows.length, 1, 'the window is still open');
  f.drain(1000);
  assert.deepEqual(
    out.rows.map((r) => [r.time, r.last, r.count, r.line, r.duration]),
    [
      [T0, T0, 1, 7, 0.05],
      [T0 + 100, T0 + 400, 4, 7, 0.05],
    ],
  );
  assert.equal(f.length, 0);
});

void test('an event alone in its window leaves no repeats row', () => {
  const out = rowsOut();
  const f = new RepeatFolder(out, 1000);
  push(f, T0);
  f.drain(Infinity);
  assert.deepEqual(
    out.rows.map((r) => r.count),
    [1],
  );
});

void test('a different client, name, type, answer or rule line is its own row', () => {
  const out = rowsOut();
  const f = new RepeatFolder(out, 1000);
  push(f, T0);
  push(f, T0 + 1, { client: '127.0.0.3' });
  push(f, T0 + 2, { target: 'weixin.qq.co' });
  push(f, T0 + 3, { kind: 'AAAA' });
  push(f, T0 + 4, { answer: 'REFUSED' });
  push(f, T0 + 5, { line: 8 });
  push(f, T0 + 6);
  assert.equal(out.rows.length, 6);
  f.drain(Infinity);
  assert.deepEqual(out.rows[6], { ...out.rows[0], time: T0 + 6, last: T0 + 6, count: 1 });
  assert.equal(out.rows.length, 7);
});

void test('an event a window after the written one starts a new row, by the event times', () => {
  const out = rowsOut();
  const f = new RepeatFolder(out, 1000);
  push(f, T0);
  push(f, T0 + 999);
  push(f, T0 + 1000);
  push(f, T0 + 1500);
  f.drain(Infinity);
  assert.deepEqual(
    out.rows.map((r) => [r.time, r.last, r.count]),
    [
      [T0, T0, 1],
      [T0 + 1000, T0 + 1000, 1],
      [T0 + 999, T0 + 999, 1],
      [T0 + 1500, T0 + 1500, 1],
    ],
  );
});

void test('a row that already stands for several events goes on unfolded', () => {
  const out = rowsOut();
  const f = new RepeatFolder(out, 1000);
  f.push(
    T0,
    T0 + 5,
    3,
    0,
    false,
    'c',
    'g',
    '',
    'dns',
    'udp',
    'n',
    'A',
    'blocked',
    '',
    '',
    '',
    '',
    '',
    -1,
    'X',
  );
  assert.deepEqual(
    out.rows.map((r) => r.count),
    [3],
  );
  assert.equal(f.length, 0);
});

void test('a full table lets its oldest entry go early, its count exact', () => {
  const out = rowsOut();
  const f = new RepeatFolder(out, 60_000);
  push(f, T0, { target: 'first.example' });
  push(f, T0 + 1, { target: 'first.example' });
  for (let i = 0, before = 0; f.length > before; i++) {
    before = f.length;
    push(f, T0 + 2, { target: `n${i}.example` });
  }
  // The table was full: the last new event took the oldest entry's place.
  const early = out.rows.find((r) => r.target === 'first.example' && r.count === 1 && r.time === T0 + 1);
  assert.ok(early, 'first.example left with its one repeat');
  // A repeat of it now is a new written event, not lost.
  push(f, T0 + 3, { target: 'first.example' });
  f.drain(Infinity);
  const firsts = out.rows.filter((r) => r.target === 'first.example');
  assert.equal(
    firsts.reduce((n, r) => n + r.count, 0),
    3,
  );
});

void test('whatever the traffic, the rows count every event pushed, per distinct event', () => {
  const out = rowsOut();
  const f = new RepeatFolder(out, 200);
  const pushed = new Map<string, number>();
  let seed = 7;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  let t = T0;
  for (let i = 0; i < 50_000; i++) {
    t += rand(2);
    const target = `n${rand(20)}.example`;
    const client = `127.0.0.${rand(2) + 2}`;
    const kind = rand(5) === 0 ? 'AAAA' : 'A';
    push(f, t, { target, client, kind });
    const key = `${target} ${client} ${kind}`;
    pushed.set(key, (pushed.get(key) ?? 0) + 1);
    f.now = t - T0;
    if (i % 997 === 0) f.drain(f.now);
  }
  f.drain(Infinity);
  const stored = new Map<string, number>();
  for (const r of out.rows) {
    const key = `${r.target} ${r.client} ${r.kind}`;
    stored.set(key, (stored.get(key) ?? 0) + r.count);
    assert.ok(r.last >= r.time);
  }
  assert.deepEqual(stored, pushed);
  assert.ok(out.rows.length < 50_000 / 2, `folded: ${out.rows.length} rows for 50,000 events`);
});

void test('through the DNS ring and the store to the file: a flood of one blocked name is two rows, every event counted', async () => {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { EventPipeline } = await import('../../src/events/pipeline.ts');
  const { EventStore } = await import('../../src/events/event-store.ts');
  const { openDatabase } = await import('../../src/events/sqlite-store.ts');
  const { searchEvents } = await import('../../src/events/search.ts');
  const { DnsEventRing } = await import('../../src/dns/querylog/dns-event-ring.ts');
  type Offer = Parameters<InstanceType<typeof DnsEventRing>['offer']>;
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'banwall-repeat-')), 'events.db');
  const pipeline = new EventPipeline();
  const store = new EventStore({
    file,
    queueSize: 1000,
    flushInterval: 20,
    maxAge: 0,
    maxBytes: 0,
    foldWindow: 60_000,
  });
  pipeline.add(store, 'blocked');
  const ring = new DnsEventRing(pipeline, { all: false, sample: 1 });
  const answer = {
    wire: Buffer.from([0, 1, 0x81, 0x83]),
    ede: { code: 15 },
    block: {
      group: 'default',
      rule: {
        list: 'wechat-core',
        app: 'wechat',
        category: 'core',
        source: 'core.txt',
        line: 3,
        rule: 'weixin.qq.com',
        action: 'nxdomain',
      },
    },
  } as unknown as Offer[1];
  for (let turn = 0; turn < 5; turn++) {
    for (let i = 0; i < 100; i++) {
      const query = {
        name: [...'weixin.qq.com'].join(''),
        qtype: 1,
        client: '127.0.0.2',
        protocol: 'udp',
        received: performance.now(),
      };
      ring.offer(query as unknown as Offer[0], answer);
    }
    ring.flush();
    await new Promise((r) => setTimeout(r, 5));
  }
  await pipeline.close();
  assert.equal(store.written, 500);
  assert.equal(store.folded, 498);
  assert.equal(store.dropped, 0);
  const db = openDatabase(file, true);
  const rows = searchEvents(db, {}).events;
  db.close();
  assert.deepEqual(
    rows.map((r) => [r.target, r.count, r.source, r.app, r.answer]),
    [
      ['weixin.qq.com', 499, 'core.txt:3', 'wechat', 'NXDOMAIN EDE 15'],
      ['weixin.qq.com', 1, 'core.txt:3', 'wechat', 'NXDOMAIN EDE 15'],
    ],
  );
  assert.ok(rows[0].time >= rows[1].time && rows[0].last! > rows[0].time);
});
