// 53-bit hashes of domain names, computed right to left so that one pass over a queried name yields
// the hash of every suffix at its label boundary (`long.weixin.qq.com` → `com`, `qq.com`,
// `weixin.qq.com`, `long.weixin.qq.com`) without creating a substring.
//
// Two independent 32-bit lanes (FNV-1a style with different primes, then a murmur3 finaliser that
// also mixes in the suffix length) give a 53-bit key: 21 high bits in `hi`, 32 in `lo`. With 1 M
// names the chance that any one lookup of a 6-label name hits a false positive is about
// 6 × 10^6 / 2^53 ≈ 7 × 10^-10: a hash table of names, not of strings, and no strings to keep.

/** Lane state. Reset with `reset()`, fed with `push()`; read a key with `hiOf()` / `loOf()`. */
export interface HashState {
  a: number;
  b: number;
}

const A0 = 0x811c9dc5;
const B0 = 0x9747b28c;

export function resetHash(s: HashState): void {
  s.a = A0;
  s.b = B0;
}

/** Feeds one character code (lower-cased here: A–Z → a–z). */
export function pushChar(s: HashState, c: number): void {
  if (c >= 65 && c <= 90) c |= 32;
  s.a = stepA(s.a, c);
  s.b = stepB(s.b, c);
}

/** Lane A step (for callers that keep the state in locals: the lookup hot path). */
export function stepA(a: number, c: number): number {
  return Math.imul(a ^ c, 0x01000193);
}

/** Lane B step. */
export function stepB(b: number, c: number): number {
  b = Math.imul(b ^ c, 0x5bd1e995);
  return b ^ (b >>> 13);
}

export const A_SEED = A0;
export const B_SEED = B0;

/** Key halves from lane values, as hiOf/loOf. */
export function keyHi(a: number, len: number): number {
  return fmix(a ^ Math.imul(len, 0x27d4eb2f)) >>> 11;
}

export function keyLo(b: number, len: number): number {
  return fmix(b + len);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** High 21 bits of the key of the characters fed so far (`len` of them). */
export function hiOf(s: HashState, len: number): number {
  return keyHi(s.a, len);
}

/** Low 32 bits of the key. */
export function loOf(s: HashState, len: number): number {
  return keyLo(s.b, len);
}
