// Config of the rate-limit link: `dns.rateLimit` (off when absent), and `dns.any`.
import { z } from 'zod';

export const rateLimitSchema = z
  .object({
    /** Tokens added per second to each client network's bucket. */
    qps: z.number().positive(),
    /** Bucket size: how many queries a quiet client may send at once. */
    burst: z.number().int().positive(),
    /** IPv4 clients sharing these leading bits share a bucket (32: per address). */
    ipv4Prefix: z.number().int().min(8).max(32).default(32),
    /** IPv6 clients sharing these leading bits share a bucket (64: one subscriber's prefix). */
    ipv6Prefix: z.number().int().min(16).max(128).default(64),
    /** What a client over its limit gets: REFUSED, or nothing (a spoofed flood gets nothing to reflect). */
    action: z.enum(['refuse', 'drop']).default('refuse'),
    /** Bound on the bucket table; the least recently active network gives up its slot. */
    maxClients: z.number().int().positive().max(10_000_000).default(100_000),
  })
  .strict();

/** RFC 8482: `minimal` answers ANY with one HINFO record; `refuse` answers REFUSED. */
export const anySchema = z.enum(['minimal', 'refuse']).default('minimal');
