#!/usr/bin/env node
// banwall's command line. Each command lives in src/cli/<command>.ts and declares its options in
// src/cli/commands.ts; this file only finds the command, parses its arguments strictly and runs it.
// Usage errors (no command, an unknown command, an unknown option, a missing or extra argument) go
// to stderr with exit code 2, as POSIX utilities do; help goes to stdout with exit code 0.
import { enableCompileCache } from 'node:module';
import { VERSION } from './version.ts';
import { parseCommandArgs, UsageError } from './cli/args.ts';
import { COMMANDS, findCommand, type Command } from './cli/commands.ts';
import { commandUsage, globalUsage, usageHint } from './cli/usage.ts';

export type { CliArgs } from './cli/args.ts';

// V8's code cache on disk: importing the app went from 3.4 s to 1.0 s and 118 MB to 97 MB RSS on this
// machine (bench, 2 cores under load), which is most of banwall's time to first answer. bin/banwall.js
// (the `banwall` command and `npm start`) switches it on before this file loads; this covers
// `node src/cli.ts` run directly, and is a no-op otherwise.
enableCompileCache();

/** Options accepted before the command name (`banwall --config FILE serve`, as before). */
const LEADING_WITH_VALUE = new Set(['--config', '-c']);

function usageError(message: string, command: Command | undefined): number {
  const who = command ? `banwall ${command.name}` : 'banwall';
  process.stderr.write(`${who}: ${message}\n${usageHint(command)}\n`);
  return 2;
}

/** `--help`/`-h` anywhere before a `--`. */
function asksForHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

async function main(argv: readonly string[]): Promise<number> {
  // The command is the first argument that is not an option (or the value of a leading --config).
  let at = 0;
  while (at < argv.length && argv[at].startsWith('-') && argv[at] !== '--') {
    at += LEADING_WITH_VALUE.has(argv[at]) ? 2 : 1;
  }
  const leading = argv.slice(0, Math.min(at, argv.length));
  const name = argv[at] === '--' ? undefined : argv[at];

  if (name === undefined) {
    if (leading.includes('--version') || leading.includes('-v')) {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    if (asksForHelp(leading)) {
      process.stdout.write(`${globalUsage()}\n`);
      return 0;
    }
    // No command: serving binds ports and runs until signalled, which nobody should start by
    // accident; `npm start`, the container image and the docs all say `serve`.
    process.stderr.write(`banwall: a command is required\n\n${globalUsage()}\n`);
    return 2;
  }
  if (name === 'help') {
    const topic = argv[at + 1];
    if (topic === undefined) {
      process.stdout.write(`${globalUsage()}\n`);
      return 0;
    }
    const c = findCommand(topic);
    if (!c) return usageError(`unknown command ${JSON.stringify(topic)}`, undefined);
    process.stdout.write(`${commandUsage(c)}\n`);
    return 0;
  }
  if (name === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = findCommand(name);
  if (!command) {
    return usageError(
      `unknown command ${JSON.stringify(name)} (commands: ${COMMANDS.map((c) => c.name).join(', ')})`,
      undefined,
    );
  }
  const rest = [...leading, ...argv.slice(at + 1)];
  if (asksForHelp(rest)) {
    process.stdout.write(`${commandUsage(command)}\n`);
    return 0;
  }
  let args;
  try {
    args = parseCommandArgs(command, rest);
  } catch (err) {
    if (err instanceof UsageError) return usageError(err.message, command);
    throw err;
  }
  const mod = await command.load();
  return mod.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    // `serve` keeps the process alive through its sockets and sets the exit code itself.
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`banwall: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
