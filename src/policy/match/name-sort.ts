// The sort of a name table build (name-table.ts `buildNameBlock`): every list's keys into the table's
// sorted key array, with entry ids and flags beside them and the bucket index's filter bits. Its own
// file: the table's layout and lookups on one side, the one pass that orders a million keys here.
import { RECORD_WORDS, bucketShift, setFilterBits } from './name-index.ts';
import type { NameArraysPart } from './name-table.ts';

/**
 * Sorts the keys of every part (entry ids numbered part after part) into a table's arrays: one
 * counting pass on the top bits of the (uniform) hash into the index's buckets, which also sets each
 * key's filter bits in its bucket's record (name-index.ts), then each key scattered straight into its
 * bucket in `t.keys` with its entry id and flags, then an insertion sort inside each bucket (about 15
 * entries at 1 M names, all in cache; stable, so equal keys stay in entry order). Measured on this
 * machine under load, 1 M entries: 142 ms, against 433 ms for a 4-pass LSD radix sort and over a
 * second for a comparator sort of index pairs. Sorting from the parts' own arrays into the table,
 * with no merged copy of the parts and no sorted copy of the halves, touches 17 MB less fresh memory:
 * 1 M names, cold, 180–290 → 130–190 ms (page faults cost ~3 ms a MB on this VM; bench/README.md,
 * "Start from text"). `t` is the table's arrays (the index zeroed); each sorted entry gets id ×
 * `idStep` + its flags.
 */
export function sortInto(
  arrays: readonly NameArraysPart[],
  t: { readonly keys: Float64Array; readonly ent: Uint32Array; readonly index: Uint32Array },
  bits: number,
  idStep: number,
): void {
  const buckets = 1 << bits;
  const shift = bucketShift(bits);
  const index = t.index;
  const start = new Uint32Array(buckets + 1);
  for (const a of arrays) {
    const { hi, lo, count } = a;
    for (let i = 0; i < count; i++) {
      const d = hi[i] >>> shift;
      start[d + 1]++;
      setFilterBits(index, d * RECORD_WORDS, lo[i]);
    }
  }
  for (let d = 0; d < buckets; d++) start[d + 1] += start[d];
  for (let d = 0; d <= buckets; d++) index[d * RECORD_WORDS] = start[d];
  const pos = start.slice(0, buckets);
  const keys = t.keys;
  const ent = t.ent;
  let id = 0;
  for (const a of arrays) {
    const { hi, lo, flags, count } = a;
    for (let i = 0; i < count; i++, id++) {
      const h = hi[i];
      const j = pos[h >>> shift]++;
      keys[j] = h * 4294967296 + lo[i];
      ent[j] = id * idStep + flags[i];
    }
  }
  for (let d = 0; d < buckets; d++) {
    const a = start[d];
    const b = start[d + 1];
    if (b - a > 256) sortRange(keys, ent, a, b);
    else {
      for (let i = a + 1; i < b; i++) {
        const k = keys[i];
        const e = ent[i];
        let j = i - 1;
        while (j >= a && keys[j] > k) {
          keys[j + 1] = keys[j];
          ent[j + 1] = ent[j];
          j--;
        }
        keys[j + 1] = k;
        ent[j + 1] = e;
      }
    }
  }
}

/** A crowded bucket (many copies of one name): a comparator sort (stable) keeps it O(k log k). */
function sortRange(keys: Float64Array, ent: Uint32Array, a: number, b: number): void {
  const idx = Array.from({ length: b - a }, (_, i) => a + i);
  idx.sort((x, y) => keys[x] - keys[y]);
  const k = idx.map((i) => keys[i]);
  const e = idx.map((i) => ent[i]);
  keys.set(k, a);
  ent.set(e, a);
}
