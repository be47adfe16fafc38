// What a loaded config is and how a bad one is reported, without zod or yaml: the serving process
// imports this, while the parsing and validation (src/config/load.ts) run in a worker thread
// (src/config/load-isolated.ts) whose isolate, zod's ~18 MB with it, is gone once the config is read.
import type { Config } from './schema.ts';

export class ConfigError extends Error {
  readonly code = 'BANWALL_CONFIG';
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(`${file}: invalid config\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export interface LoadedConfig {
  readonly file: string;
  /** Directory that relative paths in the config (list sources, certificates) resolve against. */
  readonly dir: string;
  readonly config: Config;
}

export const DEFAULT_CONFIG = 'config/banwall.yaml';

/** --config FILE, else BANWALL_CONFIG, else config/banwall.yaml. */
export function configPath(flag: string | undefined): string {
  return flag ?? process.env.BANWALL_CONFIG ?? DEFAULT_CONFIG;
}
