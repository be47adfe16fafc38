// Rules about the policy config that the running policy uses (compile, canaries), kept apart from the
// zod schema in config.ts: the serving process never loads zod (src/config/load-isolated.ts).

/**
 * Lists that no client is ever judged by: with a `default` group configured, a list that no group
 * names is never enforced (without one, the implicit default applies every list).
 */
export function unenforcedLists(cfg: {
  readonly groups: readonly { readonly name: string; readonly lists: readonly string[] }[];
  readonly lists: readonly { readonly name: string; readonly unused: boolean }[];
}): { index: number; name: string; unused: boolean }[] {
  if (!cfg.groups.some((g) => g.name === 'default')) return [];
  const named = new Set(cfg.groups.flatMap((g) => g.lists));
  const out: { index: number; name: string; unused: boolean }[] = [];
  cfg.lists.forEach((l, index) => {
    if (!named.has(l.name)) out.push({ index, name: l.name, unused: l.unused });
  });
  return out;
}

/** Whether list `l` is in monitor (dry-run) mode: by its `mode`, `action: monitor`, or its app. */
export function isMonitored(
  l: { readonly app: string; readonly mode: string; readonly action?: unknown },
  blocking: { readonly monitorApps: readonly string[] },
): boolean {
  return l.mode === 'monitor' || l.action === 'monitor' || blocking.monitorApps.includes(l.app);
}
