// Builds a PolicyStore in-process from list texts written to a temp dir, for matcher tests.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig, type LoadedConfig } from '../../src/config/load.ts';
import { PolicyStore } from '../../src/policy/store.ts';
import { createLogger } from '../../src/log.ts';
import { stringify } from 'yaml';
import { ROOT } from '../helpers/banwall.ts';

export interface ListDef {
  name: string;
  app?: string;
  category?: string;
  text?: string;
  source?: string;
  format?: string;
  action?: unknown;
  refresh?: string;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'banwall-policy-'));
}

/** A config object (before validation) with `lists` written as files in `dir`. */
export async function policyConfig(
  dir: string,
  lists: ListDef[],
  rest: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const out = [];
  for (const l of lists) {
    let source = l.source;
    if (l.text !== undefined) {
      source = `${l.name}.txt`;
      await writeFile(path.join(dir, source), l.text);
    }
    out.push({
      name: l.name,
      app: l.app ?? 'wechat',
      category: l.category ?? 'core',
      source,
      ...(l.format ? { format: l.format } : {}),
      ...(l.action ? { action: l.action } : {}),
      ...(l.refresh ? { refresh: l.refresh } : {}),
    });
  }
  return { dns: { upstreams: ['udp://127.0.0.1:5300'] }, lists: out, ...rest };
}

export function loaded(dir: string, config: Record<string, unknown>): LoadedConfig {
  const file = path.join(dir, 'banwall.yaml');
  return { file, dir, config: parseConfig(stringify(config), file) };
}

export async function storeFor(
  lists: ListDef[],
  rest: Record<string, unknown> = {},
): Promise<{ store: PolicyStore; dir: string }> {
  const dir = await tempDir();
  const store = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  await store.load(loaded(dir, await policyConfig(dir, lists, rest)));
  return { store, dir };
}

/** The shipped config's policy, loaded in-process. */
export async function shippedStore(): Promise<PolicyStore> {
  const { loadConfig } = await import('../../src/config/load.ts');
  const cfg = await loadConfig(path.join(ROOT, 'config/banwall.yaml'));
  const store = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  await store.load(cfg);
  return store;
}
