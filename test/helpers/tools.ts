// Optional system tools (Debian packages that .ci/run installs): tests skip with a reason where absent.
import { spawnSync } from 'node:child_process';

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/**
 * Why a test that runs these tools must skip where one is missing (every one is a Debian package that
 * .ci/run installs), or false when all are there.
 */
export function missingTools(...names: string[]): string | false {
  const missing = names.filter((n) => !hasTool(n));
  return missing.length === 0 ? false : `needs ${missing.join(', ')} (installed by .ci/run)`;
}
