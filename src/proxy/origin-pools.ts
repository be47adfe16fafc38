// Keep-alive undici Pools for the bodiless forwarder, one per origin *address* and port: the pool's
// origin is the IP literal the target guard approved, so undici never resolves a name (nothing to
// rebind) and a request can only reach the address that was judged; the Host header carries the name.
// At most MAX_POOLS are kept, the least recently used is closed (gracefully: its requests in flight
// finish) when a new one is needed.
import { Pool } from 'undici';

/** Distinct origins kept warm; a proxy for a network talks to many, but few at once. */
export const MAX_POOLS = 256;

export interface OriginPoolOptions {
  /** Connecting, waiting for the response head and for each body chunk (ms): then 504. */
  readonly upstreamMs: number;
  /**
   * Connections per origin. Each client connection has at most one request in flight, so the
   * proxy's own maxConnections bounds what can be in use; idle ones close after KEEP_ALIVE_MS.
   */
  readonly connections: number;
}

/**
 * Origins commonly close idle connections after 5 s (Node's default); giving one up at 4 s avoids
 * reusing a connection the origin is closing (as the http.Agent of the http-proxy-3 path does).
 */
const KEEP_ALIVE_MS = 4000;

export class OriginPools {
  private readonly pools = new Map<string, Pool>();
  private readonly opts: OriginPoolOptions;
  private lastAddress = '';
  private lastPort = 0;
  private last: Pool | null = null;

  constructor(opts: OriginPoolOptions) {
    this.opts = opts;
  }

  /** The pool for `address:port` (an IP literal: never a name). */
  get(address: string, port: number, ipFamily: number): Pool {
    // The common case, the same origin as the last request: no key string, no Map reordering.
    if (this.last !== null && port === this.lastPort && address === this.lastAddress) return this.last;
    const key = ipFamily === 6 ? `[${address}]:${port}` : `${address}:${port}`;
    let pool = this.pools.get(key);
    if (pool !== undefined) {
      // Map iteration order is insertion order: re-inserting marks it most recently used.
      this.pools.delete(key);
    } else {
      if (this.pools.size >= MAX_POOLS) this.evictOldest();
      pool = new Pool(`http://${key}`, {
        connections: this.opts.connections,
        pipelining: 1,
        keepAliveTimeout: KEEP_ALIVE_MS,
        keepAliveMaxTimeout: KEEP_ALIVE_MS,
        connectTimeout: this.opts.upstreamMs,
        headersTimeout: this.opts.upstreamMs,
        bodyTimeout: this.opts.upstreamMs,
      });
    }
    this.pools.set(key, pool);
    this.lastAddress = address;
    this.lastPort = port;
    this.last = pool;
    return pool;
  }

  get size(): number {
    return this.pools.size;
  }

  private evictOldest(): void {
    const oldest = this.pools.keys().next();
    if (oldest.done === true) return;
    const pool = this.pools.get(oldest.value)!;
    this.pools.delete(oldest.value);
    if (this.last === pool) this.last = null;
    pool.close().catch(() => {});
  }

  /** Closes every connection now (shutdown: requests still in flight fail). */
  destroy(): void {
    for (const pool of this.pools.values()) pool.destroy().catch(() => {});
    this.pools.clear();
    this.last = null;
  }
}
