// What the HTTP and CONNECT handlers share: the config, the policy, the resolver chain, counters, and
// the verdicts judged once per client connection.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../config/schema.ts';
import type { PolicyStore } from '../policy/store.ts';
import type { Resolver } from '../dns/resolver.ts';
import type { Logger } from '../log.ts';
import type { ProxyStats } from './proxy-stats.ts';
import type { ProxyAuth } from './client-gate.ts';
import type { TargetGuard } from './target-guard.ts';

export type ProxyConfig = NonNullable<Config['proxy']>;

export interface ProxyContext {
  readonly cfg: ProxyConfig;
  readonly policy: PolicyStore;
  readonly resolver: Resolver;
  readonly stats: ProxyStats;
  readonly log: Logger;
  readonly auth: ProxyAuth | null;
  /** deniedTargets, own listeners, own host, denyPrivate: checked on the address actually dialled. */
  readonly targets: TargetGuard;
  /** This instance's Via entry (`1.1 banwall-<id>`); the id also detects forwarding loops. */
  readonly via: string;
  readonly viaId: string;
}

/** Judged when the connection opens; the request handlers read it instead of re-checking. */
export interface ConnectionState {
  readonly client: string;
  /** Inside proxy.allowedClients. */
  readonly allowed: boolean;
  /** Over a connection cap: answered and closed, its requests are ignored. */
  limited: boolean;
  /**
   * A first request has arrived. Until then the socket runs on the headers timeout, since Node's
   * headersTimeout only starts with the first byte and would let a silent connection sit forever.
   */
  active: boolean;
  /** The decrypted side of an intercepted CONNECT tunnel (proxy.intercept), not a proxy connection. */
  readonly intercepted?: boolean;
}

const kState = Symbol('banwall.proxy.connection');

type Tagged = { [kState]?: ConnectionState };

export function setConnectionState(socket: Socket, state: ConnectionState): void {
  (socket as Tagged)[kState] = state;
}

export function connectionState(socket: Socket | Duplex): ConnectionState | undefined {
  return (socket as Tagged)[kState];
}

export function portInRanges(port: number, ranges: readonly (readonly [number, number])[]): boolean {
  for (const [lo, hi] of ranges) if (port >= lo && port <= hi) return true;
  return false;
}
