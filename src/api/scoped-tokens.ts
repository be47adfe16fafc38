// API tokens with scopes. Each token has an id (for the audit log) and scopes: `read` (status,
// events, explain, audit), `reload`, `cache` (flush) and `admin` (everything). Tokens are kept as
// SHA-256 digests only, in config (`http.tokens`) or in BANWALL_API_TOKENS; the single `http.token` /
// BANWALL_API_TOKEN of earlier versions keeps working as an `admin` token with the id `admin`.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SCOPES = ['read', 'reload', 'cache', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface TokenSpec {
  readonly id: string;
  /** Hex SHA-256 of the secret. */
  readonly sha256: string;
  readonly scopes: readonly Scope[];
}

export interface TokenMatch {
  readonly id: string;
  readonly scopes: readonly Scope[];
}

export function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function allows(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.includes('admin') || scopes.includes(needed);
}

export class TokenSet {
  private readonly tokens: { id: string; digest: Buffer; scopes: readonly Scope[] }[];

  constructor(specs: readonly TokenSpec[], legacySecret?: string) {
    this.tokens = specs.map((t) => ({ id: t.id, digest: Buffer.from(t.sha256, 'hex'), scopes: t.scopes }));
    if (legacySecret !== undefined && legacySecret !== '') {
      this.tokens.push({ id: 'admin', digest: digest(legacySecret), scopes: ['admin'] });
    }
  }

  /** Specs from plain secrets (hashed here: only digests are kept). */
  static specs(list: readonly { id: string; secret: string; scopes: readonly Scope[] }[]): TokenSpec[] {
    return list.map((t) => ({ id: t.id, sha256: digest(t.secret).toString('hex'), scopes: t.scopes }));
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The token a secret is, comparing every digest in constant time (no early exit on a match). */
  find(secret: string): TokenMatch | null {
    const d = digest(secret);
    let found: TokenMatch | null = null;
    for (const t of this.tokens) {
      if (timingSafeEqual(d, t.digest) && found === null) found = { id: t.id, scopes: t.scopes };
    }
    return found;
  }

  /** The bearer token of a request, when it is one of ours. */
  fromRequest(req: IncomingMessage): TokenMatch | 'missing' | 'wrong' {
    const header = req.headers.authorization;
    const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m === null) return 'missing';
    return this.find(m[1]) ?? 'wrong';
  }
}

/** `BANWALL_API_TOKENS`: `id:scope+scope:secret` entries separated by commas or newlines. */
export function tokensFromEnv(text: string | undefined): TokenSpec[] {
  if (text === undefined || text.trim() === '') return [];
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry) => {
      const first = entry.indexOf(':');
      const second = entry.indexOf(':', first + 1);
      if (first <= 0 || second <= first)
        throw new Error('BANWALL_API_TOKENS: each entry is id:scope+scope:secret');
      const id = entry.slice(0, first);
      const scopes = entry.slice(first + 1, second).split('+');
      const secret = entry.slice(second + 1);
      for (const s of scopes) {
        if (!(SCOPES as readonly string[]).includes(s)) {
          throw new Error(
            `BANWALL_API_TOKENS: ${id}: unknown scope ${JSON.stringify(s)} (${SCOPES.join(', ')})`,
          );
        }
      }
      if (secret.length < 16)
        throw new Error(`BANWALL_API_TOKENS: ${id}: the secret needs 16 or more characters`);
      return { id, sha256: digest(secret).toString('hex'), scopes: scopes as Scope[] };
    });
}
