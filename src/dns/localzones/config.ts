// Config of the local-zones link: `dns.localZones`.
import { z } from 'zod';

const zoneName = z
  .string()
  .regex(/^[a-z0-9._-]+\.?$/i, 'a zone name is letters, digits, - _ and dots')
  .transform((z) => z.toLowerCase().replace(/\.$/, ''));

const localZonesObject = z
  .object({
    /** Answer the special-use zones locally (the default). */
    enabled: z.boolean().default(true),
    /** Zones (or names inside one) to leave to the upstreams, like Unbound's `nodefault`. */
    forward: z.array(zoneName).default([]),
  })
  .strict();

export const localZonesSchema = {
  /** `true` (default), `false`, or `{ enabled, forward: [zones] }`. */
  localZones: z
    .union([z.boolean(), localZonesObject])
    .default(true)
    .transform((v) => (typeof v === 'boolean' ? { enabled: v, forward: [] as string[] } : v)),
};

export type LocalZonesConfig = { readonly enabled: boolean; readonly forward: readonly string[] };
