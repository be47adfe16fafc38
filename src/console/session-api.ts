// The console's session endpoints. Login sends the API token once, as a bearer header (so no body is
// read), and gets an HttpOnly SameSite=Strict cookie plus the CSRF token its writes must echo; the
// page never keeps the token itself.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../api/access.ts';
import { sendJson } from '../api/respond.ts';
import type { SessionStore } from './sessions.ts';

/** GET /api/session: whether the cookie names a live session, and its CSRF token and scopes. */
export function state(sessions: SessionStore, req: IncomingMessage, res: ServerResponse): void {
  const s = sessions.get(req);
  sendJson(
    res,
    200,
    s === null
      ? { authenticated: false }
      : { authenticated: true, csrf: s.csrf, token: s.tokenId, scopes: s.scopes },
  );
}

/** POST /api/session with `Authorization: Bearer <token>` (checked by access.ts, any read scope). */
export function login(
  sessions: SessionStore,
  _req: IncomingMessage,
  res: ServerResponse,
  who: Principal,
): void {
  const s = sessions.create(who.id, who.scopes);
  res.setHeader('set-cookie', sessions.cookie(s));
  sendJson(res, 200, { authenticated: true, csrf: s.csrf, token: s.tokenId, scopes: s.scopes });
}

/** POST /api/session/logout (with the CSRF token): ends the session and clears the cookie. */
export function logout(sessions: SessionStore, req: IncomingMessage, res: ServerResponse): void {
  const s = sessions.get(req);
  if (s !== null) sessions.destroy(s);
  res.setHeader('set-cookie', sessions.cookie(null));
  sendJson(res, 200, { authenticated: false });
}
