// `banwall check`: validates the config and every list (remote lists are fetched, or their copy on
// disk used), prints per-list counts and every bad line with file:line, exits 1 on any error.
import type { CliArgs } from '../cli.ts';
import { ConfigError, configPath, loadConfig } from '../config/load.ts';
import { PolicyStore } from '../policy/store.ts';
import { createLogger } from '../log.ts';

export async function run(args: CliArgs): Promise<number> {
  const file = configPath(args.config);
  let loaded;
  try {
    loaded = await loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const store = new PolicyStore(createLogger('silent'), { refresh: false, watch: false });
  const report = await store.check(loaded);
  store.close();
  const out: string[] = [`config ${loaded.file}: ok`];
  let bad = 0;
  for (const l of report.lists) {
    bad += l.badCount ?? l.badLines.length;
    out.push(
      `list ${l.name}: ${l.entries} entries` +
        (l.format ? ` (${l.format})` : '') +
        ((l.badCount ?? 0) > 0 ? `, ${l.badCount} bad lines` : ''),
    );
    for (const b of l.badLines) out.push(`  ${l.source}:${b.line}: ${b.reason}: ${b.text}`);
    if ((l.badCount ?? 0) > l.badLines.length) {
      out.push(`  … and ${(l.badCount ?? 0) - l.badLines.length} more bad lines`);
    }
  }
  const errors = [...report.errors, ...(report.warnings ?? [])];
  for (const e of errors) out.push(`error: ${e}`);
  out.push(
    errors.length === 0
      ? `ok: ${report.lists.length} lists, ${report.lists.reduce((n, l) => n + l.entries, 0)} entries, ${bad} bad lines skipped`
      : `${errors.length} error(s)`,
  );
  (errors.length === 0 ? process.stdout : process.stderr).write(`${out.join('\n')}\n`);
  return errors.length === 0 ? 0 : 1;
}
