// The server secret of DNS cookies (`dns.cookies`), rotated on a schedule and shared by every worker.
//
// One master secret per banwall (configured, or drawn at start by the primary and handed to each
// worker it forks), and from it one SipHash key per rotation period: key(n) = HMAC-SHA256(master,
// "banwall dns cookie " + n) cut to 16 bytes, n = floor(timestamp / rotation). A cookie's own
// timestamp says which key made it, so a cookie issued just before a rotation is still checked with
// the previous period's key (RFC 9018 §5's rollover, without two keys to try), and every worker and
// every banwall sharing the master (anycast) agrees on the key without talking to the others.
// Learning one period's key (64-bit hashes on the wire) tells nothing of the next one's.
import { createHmac, randomBytes } from 'node:crypto';
import type { CookieKeys } from '../wire/server-cookie.ts';

/** Environment variable through which the cluster primary gives its workers one master secret. */
export const COOKIE_SECRET_ENV = 'BANWALL_DNS_COOKIE_SECRET';

/** Derived keys kept: the current period, the previous one (rollover) and one ahead (clock skew). */
const KEPT = 4;

export class CookieSecrets implements CookieKeys {
  private readonly master: Buffer;
  private readonly periodSeconds: number;
  private readonly keys = new Map<number, Uint8Array>();
  private readonly clock: () => number;

  /** `rotationMs`: how long one key issues cookies; `clock`: Unix seconds (tests move it). */
  constructor(master: Buffer, rotationMs: number, clock: () => number = unixSeconds) {
    this.master = master;
    this.periodSeconds = Math.max(1, Math.floor(rotationMs / 1000));
    this.clock = clock;
  }

  now(): number {
    return this.clock() >>> 0;
  }

  keyAt(timestamp: number): Uint8Array {
    const period = Math.floor(timestamp / this.periodSeconds);
    let key = this.keys.get(period);
    if (key === undefined) {
      key = createHmac('sha256', this.master).update(`banwall dns cookie ${period}`).digest().subarray(0, 16);
      if (this.keys.size >= KEPT) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(period, key);
    }
    return key;
  }
}

function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The master secret: `dns.cookies.secret` when configured (hex; several banwall hosts behind one
 * address must share it), else the one the cluster primary passed down, else a fresh random one
 * (cookies issued before a restart then stop being valid: clients get one capped answer and a new
 * cookie).
 */
export function masterSecret(configured: string | undefined): Buffer {
  if (configured !== undefined) return Buffer.from(configured, 'hex');
  const inherited = process.env[COOKIE_SECRET_ENV];
  if (inherited !== undefined && /^[0-9a-f]{64}$/.test(inherited)) return Buffer.from(inherited, 'hex');
  return randomBytes(32);
}

/** For the cluster primary: the environment that gives every worker it forks the same master secret. */
export function clusterCookieEnv(): Record<string, string> {
  return { [COOKIE_SECRET_ENV]: randomBytes(32).toString('hex') };
}
