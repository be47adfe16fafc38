// Config of the policy: `lists`, `allow`, `groups`, `blocking`, and the cross-references between them
// (a group naming a list that does not exist), checked here so that every problem has its key path.
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

/**
 * Whether a list's matches are enforced or only counted (dry-run): a monitored list answers as if it
 * were absent, and its matches are counted, recorded as `monitored` events and shown by explain as
 * "would block". A key of its own rather than an `action` value, so that a list staged in monitor mode
 * keeps the answer (`action`) it will give once enforced: switching is one word, nothing else changes.
 */
export const LIST_MODES = ['enforce', 'monitor'] as const;

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
    /** The block answer; `monitor` is accepted as the issue's spelling of `mode: monitor`. */
    action: z.union([action, z.literal('monitor')]).optional(),
    /** `monitor`: dry-run, count and record matches without blocking (see LIST_MODES). */
    mode: z.enum(LIST_MODES).default('enforce'),
    /** Refuse a reload that leaves fewer than (1 - maxShrink) × the entries in force (default blocking.maxShrink). */
    maxShrink: z.number().min(0).max(1).optional(),
    /** The list is deliberately named by no group (kept for explain or a later group); `check` accepts it. */
    unused: z.boolean().default(false),
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
  /**
   * Policy tests: files of `block`/`allow` expectations (src/policy/tests/), relative to the config
   * file. Every load runs them against the compiled policy; one that fails refuses the policy.
   */
  tests: z.array(z.string().min(1)).default([]),
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
      /**
       * Share of a list's entries a reload may drop: a list that shrinks by more (an emptied or
       * half-written file, a truncated download) is refused and the policy in force keeps serving.
       * 1 turns the guard off; a list's own `maxShrink` overrides it.
       */
      maxShrink: z.number().min(0).max(1).default(0.5),
      /** Apps (the lists' `app`) whose every list is in monitor mode, whatever its own `mode`. */
      monitorApps: z.array(z.string().min(1)).default([]),
    })
    .strict()
    .prefault({}),
};

type PolicyConfig = {
  readonly [K in keyof typeof policySchema]: z.output<(typeof policySchema)[K]>;
};

/**
 * The cross-references of the policy keys, as a zod refinement of the whole config: names unique
 * across `lists` and `allow`, groups unique, every list and allow entry a group names defined.
 */
export function refinePolicy(cfg: PolicyConfig, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  const names = new Map<string, string>();
  const named = (key: 'lists' | 'allow', i: number, name: string) => {
    const seen = names.get(name);
    if (seen) issue([key, i, 'name'], `"${name}" is already the name of ${seen}`);
    else names.set(name, `${key}[${i}]`);
  };
  cfg.lists.forEach((l, i) => named('lists', i, l.name));
  cfg.allow.forEach((a, i) => {
    named('allow', i, a.name);
    if (a.source !== undefined && a.entries !== undefined)
      issue(['allow', i], 'give `source` or `entries`, not both');
  });
  const lists = new Set(cfg.lists.map((l) => l.name));
  const allows = new Set(cfg.allow.map((a) => a.name));
  const groups = new Set<string>();
  cfg.groups.forEach((g, i) => {
    if (groups.has(g.name)) issue(['groups', i, 'name'], `duplicate group "${g.name}"`);
    groups.add(g.name);
    g.lists.forEach((l, j) => {
      if (!lists.has(l)) issue(['groups', i, 'lists', j], `unknown list "${l}"`);
    });
    g.allow?.forEach((a, j) => {
      if (!allows.has(a)) issue(['groups', i, 'allow', j], `unknown allow entry "${a}"`);
    });
    if (g.name !== 'default' && g.clients.length === 0)
      issue(['groups', i, 'clients'], 'a group other than "default" needs client ranges');
  });
  if (cfg.lists.length + cfg.allow.length > 65_535) issue(['lists'], 'at most 65535 lists and allow sources');
}

export { isMonitored, unenforcedLists } from './config-rules.ts';
