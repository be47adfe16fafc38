// Console sessions: the API token is exchanged once for a random session id in an HttpOnly,
// SameSite=Strict cookie (so page scripts never hold the token), plus a CSRF token that every write
// must echo in `X-CSRF-Token`. Sessions live in memory, expire when idle, and are bounded in number.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Scope } from '../api/scoped-tokens.ts';

export const COOKIE = 'banwall_session';
const IDLE_MS = 12 * 3_600_000;
const MAX_SESSIONS = 1000;

export interface Session {
  readonly id: string;
  readonly csrf: string;
  /** Which token opened it, and that token's scopes (the session can do what the token can). */
  readonly tokenId: string;
  readonly scopes: readonly Scope[];
  expires: number;
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  create(tokenId: string, scopes: readonly Scope[], now = Date.now()): Session {
    this.sweep(now);
    if (this.sessions.size >= MAX_SESSIONS) {
      // The oldest session goes: a flood of logins must not grow memory.
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const s: Session = {
      id: randomBytes(32).toString('base64url'),
      csrf: randomBytes(24).toString('base64url'),
      tokenId,
      scopes,
      expires: now + IDLE_MS,
    };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session of the request's cookie (its idle timer renewed), or null. */
  get(req: IncomingMessage, now = Date.now()): Session | null {
    const id = cookieValue(req, COOKIE);
    if (id === undefined) return null;
    const s = this.sessions.get(id);
    if (s === undefined) return null;
    if (s.expires < now) {
      this.sessions.delete(id);
      return null;
    }
    s.expires = now + IDLE_MS;
    return s;
  }

  /** A write through a session must carry its CSRF token (SameSite=Strict is the first guard). */
  csrfOk(req: IncomingMessage, s: Session): boolean {
    const sent = req.headers['x-csrf-token'];
    return typeof sent === 'string' && sameText(sent, s.csrf);
  }

  destroy(s: Session): void {
    this.sessions.delete(s.id);
  }

  cookie(s: Session | null): string {
    return s === null
      ? `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`
      : `${COOKIE}=${s.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${IDLE_MS / 1000}`;
  }

  private sweep(now: number): void {
    for (const [id, s] of this.sessions) if (s.expires < now) this.sessions.delete(id);
  }
}
