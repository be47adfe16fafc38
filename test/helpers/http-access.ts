// Asks src/api/access.ts about a request from one address to another, without sockets: for the
// addresses a loopback-only test network cannot have (pod networks, a container's bridge address).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Area, HttpAccess } from '../../src/api/access.ts';

/** The status HttpAccess answers (200 when it lets the request through). */
export function admitted(
  access: HttpAccess,
  area: Area,
  remote: string,
  local: string,
  headers: Record<string, string> = {},
): number {
  const req = { socket: { remoteAddress: remote, localAddress: local }, headers, method: 'GET' };
  let status = 200;
  const res = { req, setHeader: () => {}, writeHead: (s: number) => (status = s), end: () => {} };
  access.admit(req as unknown as IncomingMessage, res as unknown as ServerResponse, area);
  return status;
}
