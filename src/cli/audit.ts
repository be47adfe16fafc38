// `banwall audit verify [FILE]`: checks the audit log's hash chain and names the first bad line
// (exit 1), or says how many lines hold (exit 0). FILE defaults to the config's `audit.path`.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CliArgs } from './args.ts';
import { loadCommandConfig } from './config-arg.ts';
import { verifyAuditText } from '../audit/audit-log.ts';

export async function run(args: CliArgs): Promise<number> {
  const [verb, given] = args.positionals;
  if (verb !== 'verify') {
    process.stderr.write(`banwall audit: unknown action ${JSON.stringify(verb)} (actions: verify)\n`);
    return 2;
  }
  let file = given;
  if (file === undefined) {
    const loaded = await loadCommandConfig(args);
    if (typeof loaded === 'number') return loaded;
    file = path.resolve(loaded.dir, loaded.config.audit.path);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    process.stderr.write(`banwall audit: cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  const r = verifyAuditText(text);
  if (r.ok) {
    process.stdout.write(`${file}: ok, ${r.lines} lines, the chain holds\n`);
    return 0;
  }
  process.stdout.write(`${file}:${r.badLine}: ${r.reason}\n`);
  return 1;
}
