// IP address text → numbers without allocating (answer addresses are checked on every DNS answer).

/** IPv4 dotted quad → uint32, or -1 when `s` is not one. */
export function parseIpv4(s: string, start = 0, end = s.length): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // no leading zeros
      part = part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return -1;
    } else if (c === 46) {
      if (digits === 0 || parts === 3) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (digits === 0 || parts !== 3) return -1;
  return value * 256 + part;
}

/**
 * IPv6 text → four uint32 words in `out`. Handles `::` and a trailing dotted quad; returns false
 * when `s` is not an IPv6 address. A zone (`%eth0`) is ignored.
 */
export function parseIpv6(s: string, out: Uint32Array): boolean {
  let end = s.indexOf('%');
  if (end < 0) end = s.length;
  const groups = SCRATCH;
  let n = 0;
  let gap = -1;
  let i = 0;
  if (end >= 2 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
    if (end === 2) {
      out.fill(0);
      return true;
    }
  } else if (s.charCodeAt(0) === 58) return false;
  while (i < end) {
    // A dotted quad may end the address.
    let j = i;
    let v = 0;
    let digits = 0;
    let dot = false;
    while (j < end) {
      const c = s.charCodeAt(j);
      let d;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else if (c === 46) {
        dot = true;
        break;
      } else break;
      v = v * 16 + d;
      if (++digits > 4) return false;
      j++;
    }
    if (dot) {
      const v4 = parseIpv4(s, i, end);
      if (v4 < 0 || n > 6) return false;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      break;
    }
    if (digits === 0) return false;
    groups[n++] = v;
    if (n > 8) return false;
    if (j === end) break;
    if (s.charCodeAt(j) !== 58) return false;
    j++;
    if (j < end && s.charCodeAt(j) === 58) {
      if (gap >= 0) return false;
      gap = n;
      j++;
      if (j === end) break;
    } else if (j === end) return false;
    i = j;
  }
  if (gap < 0 && n !== 8) return false;
  if (gap >= 0 && n > 7) return false;
  const zeros = 8 - n;
  for (let w = 0; w < 4; w++) out[w] = 0;
  for (let g = 0, k = 0; g < 8; g++) {
    const val = gap >= 0 && g >= gap && g < gap + zeros ? 0 : groups[k++];
    if (g % 2 === 0) out[g >> 1] = val * 65536;
    else out[g >> 1] += val;
  }
  return true;
}

const SCRATCH = new Uint32Array(10);

/** `a.b.c.d/len` or `v6/len` or a bare address → family, words and prefix; null when invalid. */
export function parseCidr(
  text: string,
): { family: 4 | 6; v4: number; v6: Uint32Array; prefix: number } | null {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bitsText = slash < 0 ? undefined : text.slice(slash + 1);
  const v6 = new Uint32Array(4);
  const v4 = parseIpv4(addr);
  const family = v4 >= 0 ? 4 : parseIpv6(addr, v6) ? 6 : 0;
  if (family === 0) return null;
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (bitsText !== undefined) {
    if (!/^\d{1,3}$/.test(bitsText)) return null;
    prefix = Number(bitsText);
    if (prefix > max) return null;
  }
  if (family === 4) return { family, v4: maskV4(v4, prefix), v6, prefix };
  maskV6(v6, prefix);
  return { family, v4: -1, v6, prefix };
}

export function maskV4(v: number, prefix: number): number {
  if (prefix === 0) return 0;
  return (v & (0xffffffff << (32 - prefix))) >>> 0;
}

export function maskV6(w: Uint32Array, prefix: number): void {
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(32, prefix - i * 32));
    w[i] = bits === 0 ? 0 : bits === 32 ? w[i] : (w[i] & (0xffffffff << (32 - bits))) >>> 0;
  }
}

/** IPv4-mapped IPv6 (`::ffff:a.b.c.d`) → the IPv4 value, else -1. */
export function mappedV4(w: Uint32Array): number {
  return w[0] === 0 && w[1] === 0 && w[2] === 0xffff ? w[3] : -1;
}
