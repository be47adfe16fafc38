// The config a command runs with (`--config FILE`, else $BANWALL_CONFIG, else config/banwall.yaml),
// or the exit code after telling the operator why it does not load. Every command that reads the
// config comes through here, so they all report a broken config the same way; only the prefix and
// the exit code differ (serve and reload: 2, the others: 1).
import type { CliArgs } from './args.ts';
import { ConfigError, configPath, type LoadedConfig } from '../config/config-error.ts';
import { loadConfigIsolated } from '../config/load-isolated.ts';

export interface ConfigFailure {
  /** Printed before the ConfigError's message (`banwall reload: `). */
  readonly prefix: string;
  readonly exitCode: number;
}

const PLAIN: ConfigFailure = { prefix: '', exitCode: 1 };

/** The loaded config, or the exit code once the problems are on stderr. Anything else is a bug: it throws. */
export async function loadCommandConfig(
  args: Pick<CliArgs, 'config'>,
  failure: ConfigFailure = PLAIN,
): Promise<LoadedConfig | number> {
  try {
    // In a worker thread: zod and yaml never load into the process that goes on to serve.
    return await loadConfigIsolated(configPath(args.config));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${failure.prefix}${err.message}\n`);
    return failure.exitCode;
  }
}
