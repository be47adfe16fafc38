// Optional system tools (Debian packages that .ci/run installs): tests skip with a reason where absent.
import { spawnSync } from 'node:child_process';

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}
