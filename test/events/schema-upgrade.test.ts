// Schema 3 (dictionary ids, no time index: sqlite-schema.ts) against a real schema-2 file: the
// fixture was written by the store of commit f86cb0e (the last with schema 2) and its searches'
// answers saved beside it by the search code of that commit (`events-v2.expected.json`: every field
// of every row, per filter the ids found and the cursor, every summary, the CSV and NDJSON lines).
// Read on as it is, then upgraded in place, the file must answer exactly the same.
import test from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { SqliteEventStore, openDatabase } from '../../src/events/sqlite-store.ts';
import { schemaOf } from '../../src/events/sqlite-schema.ts';
import {
  csvLine,
  filterFrom,
  ndjsonLine,
  searchEvents,
  summarize,
  SUMMARY_KEYS,
  type EventPage,
} from '../../src/events/search.ts';
import { blockEvent } from '../helpers/events.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

interface Expected {
  T0: number;
  filters: Record<string, Record<string, string>>;
  expected: Record<string, unknown>;
}

async function copyOfV2(): Promise<{ file: string; want: Expected }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-events-v2-'));
  const file = path.join(dir, 'events.db');
  await copyFile(path.join(FIXTURES, 'events-v2.db'), file);
  const want = JSON.parse(await readFile(path.join(FIXTURES, 'events-v2.expected.json'), 'utf8')) as Expected;
  return { file, want };
}

/** What the schema-2 code answered, asked again of `db`. */
function sameAnswers(db: DatabaseSync, { T0, filters, expected }: Expected): void {
  const ids = (p: EventPage) => ({ ids: p.events.map((e) => e.id), next: p.next });
  const got: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(filters)) {
    const f = filterFrom((x) => p[x]);
    const page = searchEvents(db, f);
    got[`search:${k}`] = k === 'all' ? page : ids(page);
    if (page.next !== undefined) got[`search:${k}:next`] = ids(searchEvents(db, { ...f, cursor: page.next }));
    if (k === 'all') {
      got[`csv:${k}`] = page.events.map(csvLine);
      got[`ndjson:${k}`] = page.events.map(ndjsonLine);
    }
  }
  for (const by of SUMMARY_KEYS) {
    got[`summary:${by}`] = summarize(db, by, {});
    got[`summary:${by}:since`] = summarize(db, by, { since: T0 + 5000 });
  }
  // Through JSON, as the API and the CLI send them (no undefined `next`, no null prototypes).
  assert.deepEqual(JSON.parse(JSON.stringify(got)), expected);
}

void test('a schema-2 file is searched as it is, read-only, with the same answers', async () => {
  const { file, want } = await copyOfV2();
  const db = openDatabase(file, true);
  assert.equal(schemaOf(db), 2);
  sameAnswers(db, want);
  db.close();
});

void test('a schema-2 file is upgraded in place: every row, id, count and answer kept; new rows follow', async () => {
  const { file, want } = await copyOfV2();
  const s = new SqliteEventStore({ file, queueSize: 100, flushInterval: 50, maxAge: 0, maxBytes: 0 });
  assert.equal(schemaOf(s.db), 3);
  sameAnswers(s.db, want);
  const reader = openDatabase(file, true);
  sameAnswers(reader, want);
  s.offer(blockEvent({ time: want.T0 + 100_000, target: 'after.example', client: '10.0.9.9' }));
  s.flush();
  const page = searchEvents(
    reader,
    filterFrom((k) => ({ client: '10.0.0.0/16', limit: '2' })[k]),
  );
  assert.deepEqual(
    page.events.map((e) => [e.id, e.target, e.source]),
    [
      [41, 'after.example', 'blocklists/wechat/core.txt:3'],
      [40, 'n29.qq.com', 'blocklists/wechat/core.txt:3'],
    ],
  );
  reader.close();
  s.close();
  // Opened again: nothing to upgrade, the same rows.
  const again = openDatabase(file);
  assert.equal(schemaOf(again), 3);
  assert.equal(searchEvents(again, { limit: 1000 }).events.length, 41);
  again.close();
});

void test('time filters are exact whatever order the times were written in (folded repeats, clock steps)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-events-spans-'));
  const s = new SqliteEventStore({
    file: path.join(dir, 'e.db'),
    queueSize: 100_000,
    flushInterval: 50,
    maxAge: 0,
    maxBytes: 0,
  });
  const T0 = Date.UTC(2026, 0, 1);
  const times: number[] = [];
  // Batches whose times step back and forth (a clock stepped back, rows written a window late),
  // more rows than a span holds.
  let x = 7;
  for (let batch = 0; batch < 40; batch++) {
    for (let i = 0; i < 250; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const t = T0 + batch * 1000 + (x % 5000) - 2500 + (batch % 7 === 3 ? -20_000 : 0);
      times.push(t);
      s.offer(blockEvent({ time: t, target: `t${times.length}.example` }));
    }
    s.flush();
  }
  for (const [since, until] of [
    [T0, T0 + 10_000],
    [T0 - 30_000, T0 - 19_000],
    [T0 + 15_500, undefined],
    [undefined, T0 + 2_000],
    [T0 + 39_000, T0 + 39_001],
  ]) {
    const want = times
      .map((t, i) => [t, i + 1] as const)
      .filter(([t]) => (since === undefined || t >= since) && (until === undefined || t < until))
      .map(([, id]) => id)
      .reverse();
    const got: number[] = [];
    let cursor: number | undefined;
    do {
      const page = searchEvents(s.db, { since, until, limit: 1000, cursor });
      got.push(...page.events.map((e) => e.id));
      cursor = page.next;
    } while (cursor !== undefined);
    assert.deepEqual(got, want, `since ${since} until ${until}`);
    const n = summarize(s.db, 'app', { since, until }).reduce((a, r) => a + r.count, 0);
    assert.equal(n, want.length);
  }
  // Retention by age through the spans: exactly the rows older than the cutoff go.
  s.enforceRetention(T0 + 5000 + 30 * 86_400_000);
  assert.equal(s.expired, 0, 'maxAge 0 keeps everything');
  s.close();
  const aged = new SqliteEventStore({
    file: path.join(dir, 'e.db'),
    queueSize: 10,
    flushInterval: 50,
    maxAge: 60_000,
    maxBytes: 0,
  });
  aged.enforceRetention(T0 + 65_000);
  const left = times.filter((t) => t >= T0 + 5000).length;
  assert.equal(aged.expired, times.length - left);
  assert.equal(searchEvents(aged.db, { limit: 1000, since: 0 }).events.length, Math.min(1000, left));
  aged.close();
});
