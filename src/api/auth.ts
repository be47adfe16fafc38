// Bearer tokens of the admin API: the write token (reload, cache flush, and reads) and the read token
// (the /api/ read endpoints when asked from another host). See access.ts for who needs which.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_ENV = 'BANWALL_API_TOKEN';
export const READ_TOKEN_ENV = 'BANWALL_API_READ_TOKEN';

function fromEnv(name: string, configured: string | undefined): string | undefined {
  const env = process.env[name];
  return env !== undefined && env !== '' ? env : configured;
}

/** BANWALL_API_TOKEN wins over `http.token`, so a secret need not live in the config file. */
export function apiToken(configured: string | undefined): string | undefined {
  return fromEnv(TOKEN_ENV, configured);
}

/** BANWALL_API_READ_TOKEN wins over `http.readToken`. */
export function readToken(configured: string | undefined): string | undefined {
  return fromEnv(READ_TOKEN_ENV, configured);
}

export type AuthOutcome = 'ok' | 'no-token-configured' | 'missing' | 'wrong';

export function checkBearer(req: IncomingMessage, token: string | undefined): AuthOutcome {
  if (token === undefined) return 'no-token-configured';
  const header = req.headers.authorization;
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return 'missing';
  // Compare digests so that neither the length nor the content leaks through timing.
  const a = createHash('sha256').update(m[1]).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) ? 'ok' : 'wrong';
}

export const NO_TOKEN_MESSAGE =
  'write endpoints are disabled: no API token is set. Set http.token in the config (16+ characters) ' +
  `or ${TOKEN_ENV} in banwall's environment, then send "Authorization: Bearer <token>".`;

export const NO_READ_TOKEN_MESSAGE =
  'the API is read from another host only with a token: set http.readToken (or http.token) in the ' +
  `config (16+ characters), or ${READ_TOKEN_ENV} (or ${TOKEN_ENV}) in banwall's environment, then send ` +
  '"Authorization: Bearer <token>". From this host (loopback) no token is needed.';
