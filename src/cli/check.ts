// `banwall check`: validates the config and every list (remote lists are fetched, or their copy on
// disk used), prints per-list counts and the bad lines with file:line (the first 50 per list, then a
// count), and exits 1 on any error, on a list no group enforces (unless marked `unused: true`) and,
// strict by default (CI and pre-deploy hooks use it as is), on any bad line; `--no-strict` accepts
// bad lines, which banwall itself skips.
import type { CliArgs } from './args.ts';
import { loadCommandConfig } from './config-arg.ts';
import { PolicyStore } from '../policy/store.ts';
import type { CompileReport } from '../policy/compile.ts';
import { createLogger } from '../log.ts';

/** Bad lines printed per list; the rest are counted. */
export const BAD_LINES_SHOWN = 50;

export async function run(args: CliArgs): Promise<number> {
  const loaded = await loadCommandConfig(args);
  if (typeof loaded === 'number') return loaded;
  const store = new PolicyStore(createLogger('silent'), { refresh: false, watch: false });
  const report = await store.check(loaded);
  store.close();
  const strict = args.strict ?? true;
  const { lines, failed } = describe(report, strict);
  (failed ? process.stderr : process.stdout).write(`config ${loaded.file}: ok\n${lines.join('\n')}\n`);
  return failed ? 1 : 0;
}

/** The report as `check` prints it, and whether it fails. */
export function describe(report: CompileReport, strict: boolean): { lines: string[]; failed: boolean } {
  const out: string[] = [];
  let bad = 0;
  for (const l of report.lists) {
    bad += l.badCount;
    out.push(
      `list ${l.name}: ${l.entries} entries` +
        (l.format ? ` (${l.format})` : '') +
        (l.badCount > 0 ? `, ${l.badCount} bad lines` : '') +
        (l.refused ? ', REFUSED' : ''),
    );
    for (const b of l.badLines.slice(0, BAD_LINES_SHOWN)) {
      out.push(`  ${l.source}:${b.line}: ${b.reason}: ${b.text}`);
    }
    const shown = Math.min(l.badLines.length, BAD_LINES_SHOWN);
    if (l.badCount > shown) out.push(`  … and ${l.badCount - shown} more bad lines`);
  }
  const errors = [...report.errors, ...report.warnings];
  for (const u of report.unenforced) {
    if (u.unused) {
      out.push(`list ${u.name}: named by no group, marked \`unused: true\`: not enforced`);
    } else {
      errors.push(
        `${u.keyPath}: list "${u.name}" is named by no group, so it is never enforced; ` +
          'add it to a group, or mark it `unused: true` if that is deliberate',
      );
    }
  }
  for (const e of errors) out.push(`error: ${e}`);
  const entries = report.lists.reduce((n, l) => n + l.entries, 0);
  if (errors.length > 0) {
    out.push(`${errors.length} error(s)${bad > 0 ? `, ${bad} bad lines` : ''}`);
    return { lines: out, failed: true };
  }
  if (strict && bad > 0) {
    out.push(
      `${bad} bad lines in ${report.lists.filter((l) => l.badCount > 0).length} list(s): ` +
        'failed (strict; `--no-strict` accepts lists with bad lines, which banwall skips)',
    );
    return { lines: out, failed: true };
  }
  const t = report.tests;
  const tests = t !== undefined && t.files > 0 ? `, ${t.expectations} policy tests passed` : '';
  out.push(`ok: ${report.lists.length} lists, ${entries} entries, ${bad} bad lines skipped${tests}`);
  return { lines: out, failed: false };
}
