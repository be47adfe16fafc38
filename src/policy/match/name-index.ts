// The name table's bucket index with a filter in each bucket: one 16-byte record per bucket of the
// key's top bits, [start, f0, f1, f2]: where the bucket's keys start in the sorted key array, then
// 96 filter bits set by the low half of every key in it (two bits per key, chosen from bits of the
// key the bucket number does not use). A lookup reads its record (one cache line) and searches the
// bucket only when both of its bits are set: a suffix that is in no list, which is most of the
// suffixes a query asks, is answered from that one line instead of a read of the bucket starts plus
// one or two cache misses into the 8 MB key array (issue 17 item 1; figures in bench/README.md,
// "Where a blocked query's microseconds go").
//
// At 1 M names (65,536 buckets of ~15 keys) a suffix that is absent passes the filter 7.7 % of the
// time; the index is 1 MB, 768 KB more than the bucket starts alone were. A name that is in the table
// always passes (its own bits are set), so the filter never changes a decision.

/** Words per bucket record: the start, then three words of filter bits. */
export const RECORD_WORDS = 4;

/** Hash bits the table has: the key's high half is 21 bits (match/name-hash.ts `keyHi`). */
const HI_BITS = 21;

/**
 * Bucket bits for a table of `size` names: ~8 names a bucket, from 64 buckets (tiny policies, a
 * 1 KB index) to 65,536 (1 MB; beyond 512 k names the buckets fill up and the filter passes more).
 * Integer arithmetic only: the snapshot file's reader must find the layout its writer used.
 */
export function bucketBits(size: number): number {
  let bits = 6;
  while (bits < 16 && 2 ** bits * 8 < size) bits++;
  return bits;
}

/** Shift that turns a key's high half into its bucket number. */
export const bucketShift = (bits: number): number => HI_BITS - bits;

/**
 * Whether the filter bits of record `r` (its first word's index) may hold a key whose low half is
 * `lo`: false means the key is certainly absent. The search in compiled-policy.ts inlines this test.
 */
export function mayHold(index: Uint32Array, r: number, lo: number): boolean {
  return (
    (index[r + 1 + filterWordA(lo)] & (1 << (lo & 31))) !== 0 &&
    (index[r + 1 + filterWordB(lo)] & (1 << ((lo >>> 5) & 31))) !== 0
  );
}

/** Filter word (0–2) of a key's first bit: bits 10–20 of its low half scaled to 3. */
export const filterWordA = (lo: number): number => (((lo >>> 10) & 0x7ff) * 3) >>> 11;
/** Filter word (0–2) of its second bit: bits 21–31. */
export const filterWordB = (lo: number): number => ((lo >>> 21) * 3) >>> 11;

/** Sets the two filter bits of a key whose low half is `lo` in the record at `r` (its first word). */
export function setFilterBits(index: Uint32Array, r: number, lo: number): void {
  index[r + 1 + filterWordA(lo)] |= 1 << (lo & 31);
  index[r + 1 + filterWordB(lo)] |= 1 << ((lo >>> 5) & 31);
}
