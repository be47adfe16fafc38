// Config of the DNS front end: `dns.listen`, `dns.allowedClients`, `dns.tcp`, `dns.workers`,
// `dns.maxUdpSize`, `dns.cookies`, `dns.batchedIo`.
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
  /**
   * The largest UDP answer sent to a client whose address a DNS cookie proves (also capped by the
   * client's EDNS size). Unproven clients never get more than 1232 bytes (amplification cap).
   */
  maxUdpSize: z.number().int().min(512).max(65535).default(1232),
  /** DNS Cookies (RFC 7873, server cookies as RFC 9018). */
  cookies: z
    .object({
      enabled: z.boolean().default(true),
      /** Hex, 16 to 64 bytes; shared by several banwall hosts behind one address. Default: random at start. */
      secret: z
        .string()
        .regex(/^(?:[0-9a-fA-F]{2}){16,64}$/, 'a hex string of 16 to 64 bytes (32 to 128 hex digits)')
        .optional(),
      /** How long one derived key issues cookies; the previous one is still accepted after it. */
      rotation: duration.prefault('1d').refine((ms) => ms >= 3_600_000, 'at least 1h (a cookie lives 1 h)'),
    })
    .strict()
    .prefault({}),
  /**
   * UDP through the batched addon (recvmmsg/sendmmsg, native/batched-udp.c): `auto` uses it when it
   * was built and loads, `on` refuses to start without it, `off` always uses node:dgram.
   */
  batchedIo: z.enum(['auto', 'on', 'off']).default('auto'),
  /** How long SIGTERM waits for in-flight queries before exiting. */
  shutdownGrace: duration.prefault('5s'),
};
