// STUB: `banwall check`.
import type { CliArgs } from '../cli.ts';

export async function run(_args: CliArgs): Promise<number> {
  process.stderr.write('banwall check: not implemented yet\n');
  return 1;
}
