// The packet cache's slab arena alone: records in slabs, TTL clamps in the stored copy, slot and slab
// reuse, eviction by entries and by bytes (CLOCK: entries hit since written survive a reclaim), views
// invalidated by `gen`, and the per-entry memory bound of issue 17 (<= 300 B beyond the answer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INDEX_OVERHEAD, PacketArena } from '../../../src/dns/cache/arena.ts';
import { HitAnswers } from '../../../src/dns/cache/hit-answers.ts';
import { encodeReply } from '../../../src/dns/wire/encode-reply.ts';
import { readAnswer, readName } from '../../../src/dns/wire/answer-facts.ts';
import { parseQuery } from '../../../src/dns/wire/parse-query.ts';
import type { DnsQuery } from '../../../src/dns/resolver.ts';
import { StubResolver } from '../../helpers/dns-server.ts';
import { queryPacket } from '../../helpers/dns-query.ts';

const up = new StubResolver();
for (let i = 0; i < 400; i++) up.add(`n${i}.test`, { type: 1, address: `192.0.2.${i % 250}`, ttl: 300 });
up.add('c.test', { type: 5, domain: 'target.example', ttl: 50 } as never);

function q(name: string): DnsQuery {
  return parseQuery(queryPacket(name, name === 'c.test' ? 5 : 1), '127.0.0.1', 'udp', 0) as DnsQuery;
}
function answer(name: string) {
  return readAnswer(up.answer(q(name)).wire)!;
}
function put(a: PacketArena, name: string, at = 0, min = 0, max = 86400): number {
  const u = answer(name);
  return a.insert(q(name), u.wire, u.ttlOffsets, at, u.ttl, min, max);
}

void test('a stored answer reads back byte for byte, TTLs clamped in the copy only', () => {
  const a = new PacketArena(1 << 20, 1000, 0);
  const u = answer('n1.test');
  const before = Buffer.from(u.wire);
  const slot = a.insert(q('n1.test'), u.wire, u.ttlOffsets, 0, 60, 0, 60);
  assert.ok(slot >= 0);
  assert.deepEqual(u.wire, before, 'the upstream buffer is not modified');
  const stored = a.wire(slot);
  assert.equal(stored.length, u.wire.length);
  assert.equal(stored.readUInt32BE(a.ttlOffsets(slot)[0]), 60, '300 clamped to maxTtl 60');
  assert.deepEqual([...a.ttlOffsets(slot)], [...u.ttlOffsets]);
  stored.writeUInt32BE(300, a.ttlOffsets(slot)[0]);
  assert.deepEqual(stored, before);
});

void test('hits: TTLs patched on the way out, the answer object shared within a second, facts re-derived', () => {
  const a = new PacketArena(1 << 20, 1000, 0);
  const hits = new HitAnswers(a);
  const slot = put(a, 'n2.test', 1000);
  const h1 = hits.hit(slot, 11_200);
  assert.equal(h1, hits.hit(slot, 11_900), 'same second: same object');
  assert.equal(h1.ttlElapsed, 10);
  assert.deepEqual(h1.facts?.addresses, ['192.0.2.2']);
  const h2 = hits.hit(slot, 12_000);
  assert.equal(h2.wire, h1.wire, 'the view is kept while the bytes stay put');
  const reply = encodeReply(q('n2.test'), h2, 65535, 0);
  assert.equal(reply.readUInt32BE(h2.ttlOffsets![0]), 289);
  const cname = put(a, 'c.test');
  assert.deepEqual(hits.hit(cname, 0).facts?.targets, ['target.example']);
  // Stale answers are copies with TTL 30: they may be sent after other inserts moved the slab.
  const st = hits.stale(slot);
  assert.notEqual(st.wire.buffer, h2.wire.buffer);
  assert.equal(st.ttlFixed, 30);
});

void test('bounded by entries: the oldest cold entries go, entries hit since written survive', () => {
  const a = new PacketArena(1 << 20, 100, 0);
  for (let i = 0; i < 100; i++) put(a, `n${i}.test`);
  assert.equal(a.entries, 100);
  const hot = a.lookup(q('n0.test'));
  a.markHot(hot);
  for (let i = 100; i < 150; i++) put(a, `n${i}.test`);
  assert.ok(a.entries <= 100);
  assert.ok(a.lookup(q('n0.test')) >= 0, 'hit since written: moved forward, not evicted');
  assert.equal(a.lookup(q('n1.test')), -1, 'cold and oldest: evicted');
  assert.ok(a.lookup(q('n149.test')) >= 0);
  const s = a.lookup(q('n0.test'));
  assert.equal(a.wire(s).readUInt32BE(a.ttlOffsets(s)[0]), 300, 'moved bytes intact');
});

void test('bounded by bytes: slabs are reused in a ring, memory never grows past maxBytes', () => {
  const maxBytes = 64 * 1024;
  const a = new PacketArena(maxBytes, 100_000, 0);
  const slabs: number[] = [];
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 400; i++) put(a, `n${i}.test`, round * 1000);
    slabs.push((a.bytes - a.entries * INDEX_OVERHEAD) / a.slabSize);
    assert.ok(a.bytes <= maxBytes, `${a.bytes} <= ${maxBytes}`);
  }
  assert.ok(a.entries > 0 && a.entries <= a.maxEntries);
  assert.equal(slabs.at(-1), slabs.at(-5), 'steady state: no new slabs');
  assert.equal(slabs.at(-1), a.maxSlabs);
  // Every entry still indexed reads back as its own answer.
  for (let i = 0; i < 400; i++) {
    const s = a.lookup(q(`n${i}.test`));
    if (s >= 0) assert.deepEqual(readAnswer(a.wire(s))?.facts.addresses, [`192.0.2.${i % 250}`]);
  }
});

void test('replacing a key rewrites it at the log tail and invalidates old views; too large is refused', () => {
  const a = new PacketArena(1 << 20, 1000, 0);
  const hits = new HitAnswers(a);
  const s1 = put(a, 'n3.test', 0);
  const old = hits.hit(s1, 0);
  const s2 = put(a, 'n3.test', 5000);
  assert.equal(s1, s2, 'same slot');
  assert.notEqual(hits.hit(s2, 5000), old);
  assert.equal(hits.hit(s2, 5000).ttlElapsed, 0);
  assert.equal(a.entries, 1);
  const huge = Buffer.alloc(a.slabSize);
  assert.equal(a.insert(q('huge.test'), huge, undefined, 0, 60, 0, 60), -1);
  a.clear();
  assert.equal(a.entries, 0);
  assert.equal(a.lookup(q('n3.test')), -1);
});

void test(`memory: under ${300} B per entry beyond the answer's own bytes (index + record header)`, () => {
  const a = new PacketArena(1 << 30, 1_000_000, 0);
  for (let i = 0; i < 400; i++) put(a, `n${i}.test`);
  const wire = answer('n1.test').wire.length;
  // Counted bytes: the slabs allocated + INDEX_OVERHEAD per entry; a record is a 16-byte header,
  // the TTL offsets, the key (5 bytes + the name) and the wire.
  const record = (16 + 2 + 5 + 'n1.test'.length + wire + 3) & ~3;
  assert.ok(INDEX_OVERHEAD + record - wire <= 300);
});

void test('the hash index: after many evictions every key still finds its own answer, or nothing', () => {
  const a = new PacketArena(1 << 20, 64, 0);
  const names = Array.from({ length: 400 }, (_, i) => `n${i}.test`);
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < names.length; i += 1 + round) {
      put(a, names[i], round);
      if (i % 7 === 0) a.markHot(a.lookup(q(names[i])));
    }
  }
  let found = 0;
  for (const name of names) {
    const s = a.lookup(q(name));
    if (s < 0) continue;
    found++;
    assert.equal(readName(a.wire(s), 12), name);
  }
  assert.equal(found, a.entries);
  assert.ok(found > 0 && found <= 64);
  // DO and CD are part of the key: the same name with DO is another entry.
  assert.equal(a.lookup({ ...q(names[399]), doBit: true }), -1);
});
