// Bearer-token check for the admin API's write endpoints (reload, cache flush).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_ENV = 'BANWALL_API_TOKEN';

/** BANWALL_API_TOKEN wins over `http.token`, so a secret need not live in the config file. */
export function apiToken(configured: string | undefined): string | undefined {
  const env = process.env[TOKEN_ENV];
  return env !== undefined && env !== '' ? env : configured;
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
