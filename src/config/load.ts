// Reads a YAML config file and validates it. Every problem is reported at once, each naming the
// file, the key path and what is wrong, so an operator fixes a broken config in one pass.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.ts';
import { ConfigError, type LoadedConfig } from './config-error.ts';

export { ConfigError, configPath, DEFAULT_CONFIG, type LoadedConfig } from './config-error.ts';

/** `dns.upstreams[1]` from a zod issue path. */
export function keyPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const k of p) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out || '(root)';
}

function describe(issue: z.core.$ZodIssue): string {
  const where = keyPath(issue.path);
  if (issue.code === 'unrecognized_keys')
    return `${where}: unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `${where}: ${issue.message}`;
}

export function parseConfig(text: string, file: string): Config {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`),
    );
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) throw new ConfigError(file, result.error.issues.map(describe));
  return result.data;
}

/** The config file's bytes; a file that cannot be read is a ConfigError like any other problem. */
export async function readConfigBytes(abs: string): Promise<Buffer> {
  try {
    return await readFile(abs);
  } catch (err) {
    throw new ConfigError(abs, [`cannot read: ${(err as Error).message}`]);
  }
}

export async function loadConfig(file: string): Promise<LoadedConfig> {
  const abs = path.resolve(file);
  const text = (await readConfigBytes(abs)).toString('utf8');
  return { file: abs, dir: path.dirname(abs), config: parseConfig(text, abs) };
}
