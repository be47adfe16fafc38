// The help texts: the global usage (every command in one line) and one page per command.
import { VERSION } from '../version.ts';
import { COMMANDS, type Command } from './commands.ts';

export function globalUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `banwall ${VERSION}: a DNS resolver and HTTP proxy that block banned apps`,
    '',
    'Usage: banwall COMMAND [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "banwall help COMMAND (or banwall COMMAND --help) shows a command's options.",
    'banwall --version prints the version.',
  ].join('\n');
}

export function commandUsage(c: Command): string {
  return [
    `Usage: banwall ${c.synopsis}`,
    '',
    `${c.summary[0].toUpperCase()}${c.summary.slice(1)}.`,
    '',
    ...c.optionHelp,
    '  -h, --help          this help',
    ...(c.notes ? ['', ...c.notes] : []),
  ].join('\n');
}

/** The line printed under a usage error: the synopsis and where the full help is. */
export function usageHint(c: Command | undefined): string {
  return c
    ? `usage: banwall ${c.synopsis}\nrun "banwall help ${c.name}" for the options`
    : 'run "banwall help" for the list of commands';
}
