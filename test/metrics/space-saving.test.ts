import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpaceSaving } from '../../src/metrics/space-saving.ts';
import { WindowedTopK } from '../../src/metrics/windowed-top-k.ts';

void test('space-saving counts exactly while under capacity', () => {
  const s = new SpaceSaving(10);
  for (const k of ['a', 'b', 'a', 'c', 'a', 'b']) s.offer(k);
  assert.deepEqual(s.list(), [
    { key: 'a', count: 3, error: 0 },
    { key: 'b', count: 2, error: 0 },
    { key: 'c', count: 1, error: 0 },
  ]);
});

void test('space-saving keeps heavy hitters within bounded memory', () => {
  const s = new SpaceSaving(16);
  // Two heavy keys in a stream of 2,000 distinct light keys: Space-Saving guarantees every key more
  // frequent than N/k (2750/16 = 172) is kept.
  for (let i = 0; i < 2000; i++) {
    s.offer(`light-${i}`);
    if (i % 4 === 0) s.offer('heavy-1');
    if (i % 8 === 0) s.offer('heavy-2');
  }
  assert.equal(s.size, 16);
  const top = s.list();
  assert.equal(top[0].key, 'heavy-1');
  assert.equal(top[1].key, 'heavy-2');
  // The estimate never under-counts, and count - error never over-counts.
  assert.ok(top[0].count >= 500 && top[0].count - top[0].error <= 500);
  const total = top.reduce((n, e) => n + e.count, 0);
  assert.equal(total, 2000 + 500 + 250, 'space-saving preserves the stream length');
});

void test('windowed top-k forgets minutes that left the window', () => {
  const w = new WindowedTopK(10, 3);
  const t0 = 60_000 * 1000;
  w.offer('old', t0);
  w.offer('old', t0);
  w.offer('new', t0 + 60_000);
  assert.deepEqual(
    w.top(5, t0 + 60_000).map((e) => [e.key, e.count]),
    [
      ['old', 2],
      ['new', 1],
    ],
  );
  // Three minutes later 'old' is out of the window, and its ring slot is reused.
  w.offer('newer', t0 + 3 * 60_000);
  assert.deepEqual(
    w.top(5, t0 + 3 * 60_000).map((e) => e.key),
    ['new', 'newer'],
  );
  assert.deepEqual(
    w.top(5, t0 + 3 * 60_000, 1).map((e) => e.key),
    ['newer'],
  );
});
