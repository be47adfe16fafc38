// STUB: `banwall reload`.
import type { CliArgs } from '../cli.ts';

export async function run(_args: CliArgs): Promise<number> {
  process.stderr.write('banwall reload: not implemented yet\n');
  return 1;
}
