// SipHash-2-4 (Aumasson and Bernstein), the PRF of interoperable DNS server cookies (RFC 9018 §4.4).
//
// Hand-written over 32-bit halves, without BigInt: each 64-bit word is a (hi, lo) pair of uint32 held
// in one module-level Uint32Array, so a hash allocates nothing. (Module `let`s, as before, held
// numbers above 2^31 as boxed heap numbers: 5-10x slower per hash, measured side by side.) Hashing is
// synchronous, so one state serves every call. The npm `siphash` package returns a fresh object per
// call; this is checked against the reference vectors and RFC 9018's appendix
// (test/dns/server/cookies.test.ts).

// The state: v0..v3, each as (hi, lo) at [2i, 2i + 1]. A Uint32Array wraps sums to 32 bits by itself.
const v = new Uint32Array(8);
const V0 = 0;
const V1 = 2;
const V2 = 4;
const V3 = 6;

/** va += vb; vb = rotl(vb, r); vb ^= va: the step a SipRound takes four times (0 < r < 32). */
function addRotateXor(a: number, b: number, r: number): void {
  const al = v[a + 1];
  const lo = (al + v[b + 1]) >>> 0;
  v[a] = v[a] + v[b] + (lo < al ? 1 : 0);
  v[a + 1] = lo;
  const bh = v[b];
  const bl = v[b + 1];
  v[b] = ((bh << r) | (bl >>> (32 - r))) ^ v[a];
  v[b + 1] = ((bl << r) | (bh >>> (32 - r))) ^ lo;
}

/** va = rotl(va, 32): the halves change places. */
function swapHalves(a: number): void {
  const hi = v[a];
  v[a] = v[a + 1];
  v[a + 1] = hi;
}

/** One SipRound over the module state. */
function sipRound(): void {
  addRotateXor(V0, V1, 13);
  swapHalves(V0);
  addRotateXor(V2, V3, 16);
  addRotateXor(V0, V3, 21);
  addRotateXor(V2, V1, 17);
  swapHalves(V2);
}

function le32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
}

/** Absorbs one 64-bit little-endian message word (hi, lo). */
function compress(mh: number, ml: number): void {
  v[V3] ^= mh;
  v[V3 + 1] ^= ml;
  sipRound();
  sipRound();
  v[V0] ^= mh;
  v[V0 + 1] ^= ml;
}

/**
 * SipHash-2-4 of `data[start, end)` under the 16-byte `key`; the 8-byte result is written
 * little-endian (as the reference implementation and RFC 9018's examples write it) at `out[at]`.
 */
export function siphash24(
  key: Uint8Array,
  data: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
): void {
  const k0l = le32(key, 0);
  const k0h = le32(key, 4);
  const k1l = le32(key, 8);
  const k1h = le32(key, 12);
  // "somepseudorandomlygeneratedbytes"
  v[V0] = k0h ^ 0x736f6d65;
  v[V0 + 1] = k0l ^ 0x70736575;
  v[V1] = k1h ^ 0x646f7261;
  v[V1 + 1] = k1l ^ 0x6e646f6d;
  v[V2] = k0h ^ 0x6c796765;
  v[V2 + 1] = k0l ^ 0x6e657261;
  v[V3] = k1h ^ 0x74656462;
  v[V3 + 1] = k1l ^ 0x79746573;
  const len = end - start;
  const whole = start + (len & ~7);
  let i = start;
  for (; i < whole; i += 8) compress(le32(data, i + 4), le32(data, i));
  // The last word: the remaining bytes, and the length's low byte in the top byte.
  let ml = 0;
  let mh = (len & 0xff) << 24;
  const rest = end - i;
  for (let j = 0; j < rest; j++) {
    if (j < 4) ml |= data[i + j] << (8 * j);
    else mh |= data[i + j] << (8 * (j - 4));
  }
  compress(mh >>> 0, ml >>> 0);
  v[V2 + 1] ^= 0xff;
  sipRound();
  sipRound();
  sipRound();
  sipRound();
  const rh = (v[V0] ^ v[V1] ^ v[V2] ^ v[V3]) >>> 0;
  const rl = (v[V0 + 1] ^ v[V1 + 1] ^ v[V2 + 1] ^ v[V3 + 1]) >>> 0;
  out[at] = rl & 0xff;
  out[at + 1] = (rl >>> 8) & 0xff;
  out[at + 2] = (rl >>> 16) & 0xff;
  out[at + 3] = rl >>> 24;
  out[at + 4] = rh & 0xff;
  out[at + 5] = (rh >>> 8) & 0xff;
  out[at + 6] = (rh >>> 16) & 0xff;
  out[at + 7] = rh >>> 24;
}
