// Config of the rate-limit link: `dns.rateLimit` (off when absent), and `dns.any`.
import { z } from 'zod';

export const rateLimitSchema = z
  .object({
    qps: z.number().positive(),
    burst: z.number().int().positive(),
    ipv4Prefix: z.number().int().min(8).max(32).default(32),
    ipv6Prefix: z.number().int().min(16).max(128).default(64),
    /** What a client over its limit gets. */
    action: z.enum(['refuse', 'drop']).default('refuse'),
    /** Bound on the bucket table. */
    maxClients: z.number().int().positive().default(100_000),
  })
  .strict();

/** RFC 8482: `minimal` answers ANY with one HINFO record; `refuse` answers REFUSED. */
export const anySchema = z.enum(['minimal', 'refuse']).default('minimal');
