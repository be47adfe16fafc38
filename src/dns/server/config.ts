// Config of the DNS front end: `dns.listen`, `dns.allowedClients`, `dns.tcp`, `dns.workers`.
import { z } from 'zod';
import { cidr, duration, listenAddress } from '../../config/types.ts';

export const serverSchema = {
  /** UDP and TCP are both served on every address. */
  listen: z.array(listenAddress(53)).min(1).prefault(['127.0.0.1:1053']),
  /** Clients outside these ranges get REFUSED: banwall is never an open resolver. */
  allowedClients: z.array(cidr).default(['127.0.0.0/8', '::1/128']),
  tcp: z
    .object({
      idleTimeout: duration.prefault('10s'),
      maxConnections: z.number().int().positive().default(1000),
      maxConnectionsPerClient: z.number().int().positive().default(64),
    })
    .strict()
    .prefault({}),
  /** `1` (default) or `auto` (one process per core, SO_REUSEPORT UDP sockets). */
  workers: z.union([z.literal('auto'), z.number().int().positive()]).default(1),
  /** How long SIGTERM waits for in-flight queries before exiting. */
  shutdownGrace: duration.prefault('5s'),
};
