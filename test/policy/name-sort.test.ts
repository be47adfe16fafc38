// The name table's build (match/name-table.ts, match/name-sort.ts) against a reference built the
// plain way: every entry's key and id with its flags, sorted stably by key; the bucket starts counted;
// each key's filter bits set in its bucket. Several lists, duplicates, one crowded bucket (over 256
// copies of a name: the comparator sort), and a table rebuilt from the one in force.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FLAG_BITS,
  NameBuilder,
  NameTable,
  buildNameBlock,
  EXACT,
  SUBONLY,
  ALLOW,
} from '../../src/policy/match/name-table.ts';
import { RECORD_WORDS, setFilterBits } from '../../src/policy/match/name-index.ts';

function builders(seed: number, n: number): NameBuilder[] {
  const out = [new NameBuilder(), new NameBuilder(), new NameBuilder()];
  let x = seed;
  const r = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const forms = [0, EXACT, SUBONLY, ALLOW, ALLOW | EXACT];
  for (let i = 0; i < n; i++) {
    const k = r();
    const name =
      k < 0.05
        ? 'crowded.example.com'
        : k < 0.1
          ? `d${Math.floor(r() * 50)}.dup.test`
          : `n${i}.e${i % 13}.com`;
    out[Math.floor(r() * 3)].add(name, 0, name.length, forms[Math.floor(r() * forms.length)], i + 1);
  }
  return out;
}

/** The table the plain way, from the lists' own arrays (before they hand them to a table). */
function reference(lists: readonly NameBuilder[], t: NameTable) {
  const entries: { key: number; ent: number; hi: number; lo: number }[] = [];
  const lines: number[] = [];
  let id = 0;
  for (const b of lists) {
    for (let i = 0; i < b.count; i++, id++) {
      entries.push({
        key: b.hi[i] * 2 ** 32 + b.lo[i],
        ent: id * 2 ** FLAG_BITS + b.flags[i],
        hi: b.hi[i],
        lo: b.lo[i],
      });
      lines.push(b.line[i]);
    }
  }
  const sorted = [...entries].sort((a, b) => a.key - b.key); // stable: equal keys in entry order
  const index = new Uint32Array(t.index.length);
  const counts = new Array<number>(t.buckets + 1).fill(0);
  for (const e of entries) {
    const d = e.hi >>> t.shift;
    counts[d + 1]++;
    setFilterBits(index, d * RECORD_WORDS, e.lo);
  }
  for (let d = 0; d < t.buckets; d++) counts[d + 1] += counts[d];
  for (let d = 0; d <= t.buckets; d++) index[d * RECORD_WORDS] = counts[d];
  return { keys: sorted.map((e) => e.key), ent: sorted.map((e) => e.ent), lines, index: [...index] };
}

void test('the table is the stable sort of every list, with its bucket starts and filter bits', () => {
  for (const n of [0, 1, 300, 20_000, 120_000]) {
    const lists = builders(n + 3, n);
    const want = reference(lists, new NameTable(buildNameBlock(lists.map((b) => b.part()))));
    const t = NameTable.build(lists);
    assert.deepEqual([...t.keys], want.keys, `keys, ${n} names`);
    assert.deepEqual([...t.ent], want.ent, `entry ids and flags, ${n} names`);
    assert.deepEqual([...t.lines], want.lines, `lines, ${n} names`);
    assert.deepEqual([...t.index], want.index, `bucket index, ${n} names`);
    // A reload that keeps the lists takes their keys back out of this table: the same block again.
    const again = new NameTable(buildNameBlock(lists.map((b) => b.part())));
    assert.deepEqual(new Uint8Array(again.block.buffer), new Uint8Array(t.block.buffer));
    assert.equal(again.block.crc, t.block.crc);
  }
});
