// Value types shared by the config schemas of every part: durations, sizes, addresses, CIDRs.
import { isIP } from 'node:net';
import { z } from 'zod';
import { splitHostPort } from './host-port.ts';

export { splitHostPort };

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration as `500ms`, `2s`, `5m`, `6h`, `1d`, or a number of milliseconds; parsed to ms. */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = DURATION.exec(v.trim());
  if (!m) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(v)} is not a duration (e.g. 500ms, 2s, 5m, 6h, 1d)`,
    });
    return z.NEVER;
  }
  return Number(m[1]) * UNIT_MS[m[2]];
});

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i;
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  kib: 1024,
  mb: 1e6,
  mib: 1024 ** 2,
  gb: 1e9,
  gib: 1024 ** 3,
};

/** A size as `64MiB`, `10MB`, `4096`, or a number of bytes; parsed to bytes. */
export const byteSize = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = SIZE.exec(v.trim());
  if (!m) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(v)} is not a size (e.g. 4096, 64KiB, 100MiB)`,
    });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * UNIT_BYTES[(m[2] ?? 'b').toLowerCase()]);
});

/** A listen address `host:port` (`[::1]:53` for IPv6); the host must be an IP literal. */
export const listenAddress = (defaultPort?: number) =>
  z.string().transform((v, ctx) => {
    const hp = splitHostPort(v, defaultPort);
    if (!hp || isIP(hp.host) === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(v)} is not a listen address (IP:port, [IPv6]:port)`,
      });
      return z.NEVER;
    }
    return hp;
  });

/** A CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a single address. */
export const cidr = z.string().refine(
  (v) => {
    const [addr, bits, extra] = v.split('/');
    const family = isIP(addr);
    if (family === 0 || extra !== undefined) return false;
    if (bits === undefined) return true;
    const n = Number(bits);
    return /^\d+$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
  },
  { error: (iss) => `${JSON.stringify(iss.input)} is not an IP address or CIDR` },
);
