// Who may use the proxy: `proxy.allowedClients` (no open proxy), the per-client connection cap, and
// optional Basic authentication (`proxy.auth`). Judged once per connection where possible.
import { isIPv4 } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import { CidrList } from '../net/cidr.ts';

/** `::ffff:10.0.0.1` (a dual-stack listener's view of an IPv4 client) → `10.0.0.1`. */
export function unmapAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** `proxy.allowedClients`, asked once per connection (the shared matcher of src/net/cidr.ts). */
export class ClientAcl {
  private readonly list: CidrList;

  constructor(cidrs: readonly string[]) {
    this.list = new CidrList(cidrs);
  }

  allows(address: string): boolean {
    return this.list.contains(address);
  }
}

/** Open connections per client address, capped so that one client cannot take every descriptor. */
export class ConnectionCounter {
  private readonly open = new Map<string, number>();
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Counts a new connection; false (and nothing counted) when the client is at its cap. */
  acquire(client: string): boolean {
    const n = this.open.get(client) ?? 0;
    if (n >= this.max) return false;
    this.open.set(client, n + 1);
    return true;
  }

  release(client: string): void {
    const n = this.open.get(client) ?? 0;
    if (n <= 1) this.open.delete(client);
    else this.open.set(client, n - 1);
  }

  count(client: string): number {
    return this.open.get(client) ?? 0;
  }

  get clients(): number {
    return this.open.size;
  }
}

/** Basic proxy authentication (RFC 7617 with RFC 9110 §11.7's Proxy-Authorization). */
export class ProxyAuth {
  readonly challenge: string;
  private readonly users = new Map<string, Buffer>();
  /** Header values that passed: a keep-alive client resends the same one, and skips the hash. */
  private readonly accepted = new Set<string>();

  constructor(users: Record<string, string>, realm: string) {
    for (const [user, password] of Object.entries(users)) this.users.set(user, digest(password));
    this.challenge = `Basic realm="${realm.replace(/["\\]/g, '')}", charset="UTF-8"`;
  }

  check(header: string | undefined): boolean {
    if (header === undefined) return false;
    if (this.accepted.has(header)) return true;
    const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!m) return false;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const expected = this.users.get(decoded.slice(0, colon));
    // Compare digests in constant time; an unknown user still pays for one hash.
    const given = digest(decoded.slice(colon + 1));
    const ok = expected !== undefined && timingSafeEqual(expected, given);
    // Bounded: at most one accepted value per user and password in force.
    if (ok && this.accepted.size < 4 * this.users.size) this.accepted.add(header);
    return ok;
  }
}

/** The user name of a Basic Proxy-Authorization header (for events), or '' when there is none. */
export function proxyUser(header: string | undefined): string {
  const m = header === undefined ? null : /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m === null) return '';
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? '' : decoded.slice(0, colon).slice(0, 128);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
