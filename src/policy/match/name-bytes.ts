// A name hashed straight from a list file's bytes (parse/list-bytes.ts): the same key, the same
// checks and the same label count as `NameBuilder.add` on the name as a string (name-table.ts), with
// no string made. Hot path of a start from text: 1 M names through here.
import { A_SEED, B_SEED, keyHi, keyLo, stepA, stepB } from './name-hash.ts';

/** 1 for the bytes a label may hold (letters, digits, `-`, `_`), as `NameBuilder.add` accepts. */
const LABEL_BYTE = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95;
  LABEL_BYTE[c] = ok ? 1 : 0;
}

/** The key of the last name `hashNameBytes` accepted: [high 21 bits, low 32 bits]. */
export const hashedKey = new Uint32Array(2);

/**
 * Hashes bytes[start, end) as a name (lower-cased, one trailing dot ignored) into `hashedKey` and
 * returns its number of labels; 0 when it is not a valid host name (labels of letters, digits, `-`,
 * `_`, 1–63 long, ≤ 253), any byte outside ASCII included.
 */
export function hashNameBytes(bytes: Uint8Array, start: number, end: number): number {
  if (end > start && bytes[end - 1] === 46) end--;
  const len = end - start;
  if (len <= 0 || len > 253) return 0;
  let a = A_SEED;
  let b = B_SEED;
  let label = 0;
  let labels = 1;
  for (let i = end - 1; i >= start; i--) {
    let c = bytes[i];
    if (c === 46) {
      if (label === 0) return 0;
      label = 0;
      labels++;
    } else if (LABEL_BYTE[c] === 1) {
      if (++label > 63) return 0;
      if (c <= 90 && c >= 65) c |= 32;
    } else {
      return 0;
    }
    a = stepA(a, c);
    b = stepB(b, c);
  }
  if (label === 0) return 0;
  hashedKey[0] = keyHi(a, len);
  hashedKey[1] = keyLo(b, len);
  return labels;
}
