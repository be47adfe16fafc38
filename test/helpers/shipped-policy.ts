// The shipped config's policy, for a real banwall started by a test: the tests of the shipped lists
// run exactly what `config/banwall.yaml` ships, from a config written to a temp dir.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './banwall.ts';

/**
 * The shipped config's policy sections (lists, allow, groups, blocking) with the list paths made
 * absolute, so that a config in another dir still finds them; `cacheDir` is the lists' cache
 * (relative to that config's dir unless absolute).
 */
export async function shippedPolicy(cacheDir = 'var/lists'): Promise<Record<string, unknown>> {
  const cfg = parse(await readFile(path.join(ROOT, 'config/banwall.yaml'), 'utf8')) as Record<string, never>;
  const abs = (s: string) => path.resolve(ROOT, 'config', s);
  return {
    lists: (cfg.lists as { source: string }[]).map((l) => ({ ...l, source: abs(l.source) })),
    allow: cfg.allow,
    groups: cfg.groups,
    blocking: { ...(cfg.blocking as object), cacheDir },
  };
}
