// What a command receives once its command line has been parsed (strictly, with its own options).
import { parseArgs } from 'node:util';
import type { Command } from './commands.ts';

export interface CliArgs {
  /** Arguments after the command name (`export firewall`: ['firewall']). */
  readonly positionals: readonly string[];
  readonly config: string | undefined;
  readonly client: string | undefined;
  readonly type: string | undefined;
  readonly format: string | undefined;
  /** `export firewall`: banwall's addresses as devices reach them (repeatable). */
  readonly resolver?: readonly string[];
  /** `export firewall`: limit the rules to one address family (`ipv4` or `ipv6`). */
  readonly family?: string;
  /** `export firewall`: also drop UDP/443 (QUIC) from devices. */
  readonly dropQuic?: boolean;
  /** `check`: fail on any bad list line (default); `--no-strict` only reports them. */
  readonly strict?: boolean;
  /** `explain --json`. */
  readonly json?: boolean;
  /** `explain --resolve`. */
  readonly resolve?: boolean;
  /** `serve --pid-file FILE`. */
  readonly pidFile?: string;
  /** `serve --exit-with-parent`. */
  readonly exitWithParent?: boolean;
  /** Every option the command declared, by its long name (for options added later). */
  readonly options: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
}

export class UsageError extends Error {}

/** The messages parseArgs gives, shortened to what an operator needs to read. */
function usageMessage(err: Error & { code?: string }): string {
  const first = err.message.split('. ')[0].replace(/\.$/, '');
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return first.replace(/^Unknown option/, 'unknown option');
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return first.replace(/^Option/, 'option');
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return first.replace(/^Unexpected argument/, 'unexpected argument');
    default:
      return first;
  }
}

/** Parses `argv` (the command name already removed) for `command`; throws UsageError. */
export function parseCommandArgs(command: Command, argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: command.options,
      allowPositionals: true,
      allowNegative: command.allowNegative ?? false,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(usageMessage(err as Error & { code?: string }));
  }
  const { values, positionals } = parsed;
  if (positionals.length < command.args.min) throw new UsageError(`missing ${command.args.missing}`);
  if (positionals.length > command.args.max) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[command.args.max])}`);
  }
  const str = (k: string) => (typeof values[k] === 'string' ? values[k] : undefined);
  const bool = (k: string) => values[k] === true;
  return {
    positionals,
    config: str('config'),
    client: str('client'),
    type: str('type'),
    format: str('format'),
    resolver: Array.isArray(values.resolver) ? values.resolver.map(String) : undefined,
    strict: typeof values.strict === 'boolean' ? values.strict : undefined,
    family: str('family'),
    dropQuic: bool('drop-quic'),
    json: bool('json'),
    resolve: bool('resolve'),
    pidFile: str('pid-file'),
    exitWithParent: bool('exit-with-parent'),
    options: values,
  };
}
