// Config of the cache link: `dns.cache`.
import { z } from 'zod';
import { byteSize, duration } from '../../config/types.ts';

export const cacheSchema = z
  .object({
    enabled: z.boolean().default(true),
    maxEntries: z.number().int().positive().default(100_000),
    maxBytes: byteSize.prefault('128MiB'),
    minTtl: duration.prefault('0s'),
    maxTtl: duration.prefault('1d'),
    /** Cap on negative-answer TTL (RFC 2308: SOA minimum). */
    negativeTtl: duration.prefault('1h'),
    /** RFC 8767: how long past expiry an answer may be served when every upstream fails. */
    serveStale: duration.prefault('1d'),
    prefetch: z
      .object({
        enabled: z.boolean().default(true),
        /** Hits within the entry's lifetime that make a name worth prefetching. */
        minHits: z.number().int().positive().default(3),
        /** Prefetch when this fraction of the TTL is left. */
        threshold: z.number().min(0).max(1).default(0.1),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});
