// The whole config, assembled from the schema each part owns (CoreDNS-style: the part that reads an
// option defines it). This is the single source for validation, defaults and error key paths.
import { z } from 'zod';
import { serverSchema } from '../dns/server/config.ts';
import { upstreamSchema } from '../dns/upstream/config.ts';
import { cacheSchema } from '../dns/cache/config.ts';
import { anySchema, rateLimitSchema } from '../dns/ratelimit/config.ts';
import { dohSchema, dotSchema } from '../dns/encrypted/config.ts';
import { localZonesSchema } from '../dns/localzones/config.ts';
import { echSchema } from '../dns/ech/config.ts';
import { policySchema, refinePolicy } from '../policy/config.ts';
import { proxySchema } from '../proxy/config.ts';
import { httpSchema } from '../api/config.ts';
import { queryLogSchema } from '../dns/querylog/config.ts';
import { dnstapSchema } from '../dns/dnstap/config.ts';
import { eventsSchema } from '../events/config.ts';
import { auditSchema } from '../audit/config.ts';
import { canariesSchema } from '../canary/config.ts';

export const configSchema = z
  .object({
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
    dns: z
      .object({
        ...serverSchema,
        ...upstreamSchema,
        cache: cacheSchema,
        rateLimit: rateLimitSchema.optional(),
        any: anySchema,
        ...localZonesSchema,
        ...echSchema,
        dot: dotSchema.optional(),
        doh: dohSchema.optional(),
        dnstap: dnstapSchema.optional(),
      })
      .strict(),
    ...policySchema,
    proxy: proxySchema.optional(),
    http: httpSchema,
    queryLog: queryLogSchema,
    events: eventsSchema,
    audit: auditSchema,
    canaries: canariesSchema,
  })
  .strict()
  .superRefine(refinePolicy);

export type Config = z.output<typeof configSchema>;
