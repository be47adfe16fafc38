// events.store.queueBytes: the store's rings are bounded in memory; queueSize (rows) still works.
import test from 'node:test';
import assert from 'node:assert/strict';
import { eventsSchema, ROW_BYTES } from '../../src/events/config.ts';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { blockEvent } from '../helpers/events.ts';
import { RowRing } from '../../src/events/row-ring.ts';

// A full collection before each reading, without a command-line flag.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

void test('queueBytes turns into rows; the default is 32 MiB; queueSize still wins when set', () => {
  const def = eventsSchema.parse({}).store;
  assert.equal(def.queueBytes, 32 * 1024 * 1024);
  assert.equal(def.queueSize, Math.floor((32 * 1024 * 1024) / ROW_BYTES));
  assert.equal(
    eventsSchema.parse({ store: { queueBytes: '64MiB' } }).store.queueSize,
    Math.floor((64 << 20) / ROW_BYTES),
  );
  assert.equal(eventsSchema.parse({ store: { queueSize: 5000 } }).store.queueSize, 5000);
  // A tiny budget still holds a flush interval's worth of a quiet network.
  assert.equal(eventsSchema.parse({ store: { queueBytes: 1000 } }).store.queueSize, 1024);
  assert.throws(() => eventsSchema.parse({ store: { queueBytes: 'lots' } }), /not a size/);
});

void test('ROW_BYTES is what a ring row costs (heap and typed arrays)', () => {
  const rows = 50_000;
  gc();
  const before = process.memoryUsage();
  const ring = new RowRing(rows, 0);
  for (let i = 0; i < rows; i++) {
    ring.offer(blockEvent({ client: '127.0.0.1', target: `b${i}.blocked.example.com` }));
  }
  gc();
  const after = process.memoryUsage();
  const perRow = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / rows;
  assert.equal(ring.length, rows);
  assert.ok(perRow < ROW_BYTES * 1.5, `${perRow.toFixed(0)} bytes per row`);
});
