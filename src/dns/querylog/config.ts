// Config of the query log: `queryLog`.
import { z } from 'zod';

export const queryLogSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** `stdout` or a file path. */
    target: z.string().default('stdout'),
    /** `blocked` (default) or `all`. */
    log: z.enum(['blocked', 'all']).default('blocked'),
    /** Fraction of allowed queries to log when `log: all` (blocked ones are always logged). */
    sample: z.number().min(0).max(1).default(1),
  })
  .strict()
  .prefault({});
