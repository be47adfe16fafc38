// Config of the policy: `lists`, `allow`, `groups`, `blocking`.
import { isIP } from 'node:net';
import { z } from 'zod';
import { cidr, duration, byteSize } from '../config/types.ts';
import { BLOCK_ACTIONS, CATEGORIES } from './snapshot.ts';

export const LIST_FORMATS = ['auto', 'domains', 'hosts', 'adblock', 'rules'] as const;

const action = z.union([
  z.enum(BLOCK_ACTIONS),
  z
    .object({
      kind: z.literal('sinkhole'),
      /** Block-page server addresses: IPv4 ones answer A queries, IPv6 ones AAAA. */
      addresses: z
        .array(
          z.string().refine((v) => isIP(v) !== 0, {
            error: (iss) => `${JSON.stringify(iss.input)} is not an IP address`,
          }),
        )
        .min(1),
    })
    .strict(),
]);

const listSource = z.string().min(1);

export const listSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'a list name is letters, digits, _ . -'),
    app: z.string().min(1),
    category: z.enum(CATEGORIES),
    /** A file path (relative to the config file) or an https:// URL. */
    source: listSource,
    format: z.enum(LIST_FORMATS).default('auto'),
    /** For URLs: how often to fetch again (with jitter). */
    refresh: duration.optional(),
    action: action.optional(),
    /** Accept rules that block a whole TLD or everything (`com`, `/./`, `ip 0.0.0.0/0`): refused otherwise. */
    allowBroad: z.boolean().default(false),
  })
  .strict();

export const allowSchema = z
  .object({
    name: z.string().min(1),
    source: listSource.optional(),
    /** Inline entries, in the same formats as a list file. */
    entries: z.array(z.string()).optional(),
    format: z.enum(LIST_FORMATS).default('auto'),
    refresh: duration.optional(),
    /** Accept rules that allow a whole TLD or everything (which would switch blocking off). */
    allowBroad: z.boolean().default(false),
  })
  .strict()
  .refine(
    (a) => a.source !== undefined || a.entries !== undefined,
    'an allow entry needs `source` or `entries`',
  );

export const groupSchema = z
  .object({
    name: z.string().min(1),
    /** Client ranges; the group `default` needs none and applies to every client. */
    clients: z.array(cidr).default([]),
    /** Names of the block lists this group applies. */
    lists: z.array(z.string()),
    /** Names of the allow entries this group applies (all when absent). */
    allow: z.array(z.string()).optional(),
  })
  .strict();

export const policySchema = {
  lists: z.array(listSchema).default([]),
  allow: z.array(allowSchema).default([]),
  groups: z.array(groupSchema).default([]),
  blocking: z
    .object({
      action: action.default('nxdomain'),
      /** TTL of block answers. */
      ttl: duration.prefault('60s'),
      /** Where fetched copies of remote lists are kept, for starting without the network. */
      cacheDir: z.string().default('var/lists'),
      fetchTimeout: duration.prefault('30s'),
      maxListSize: byteSize.prefault('64MiB'),
    })
    .strict()
    .prefault({}),
};
