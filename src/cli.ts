#!/usr/bin/env node
// banwall's command line. Each command lives in src/cli/<command>.ts; this file only dispatches.
import { enableCompileCache } from 'node:module';
import { parseArgs } from 'node:util';
import { VERSION } from './version.ts';

// V8's code cache on disk: importing the app went from 3.4 s to 1.0 s and 118 MB to 97 MB RSS on this
// machine (bench, 2 cores under load), which is most of banwall's time to first answer. bin/banwall.js
// (the `banwall` command and `npm start`) switches it on before this file loads; this covers
// `node src/cli.ts` run directly, and is a no-op otherwise.
enableCompileCache();

const USAGE = `banwall ${VERSION}: a DNS resolver and HTTP proxy that block banned apps

Usage:
  banwall serve   [--config FILE]                    run the resolver, proxy and HTTP listener
  banwall check   [--no-strict] [--config FILE]      validate config and lists, print a summary;
                                                     fails on any bad line unless --no-strict
  banwall explain NAME [--client IP] [--type TYPE] [--config FILE]
                                                     show the decision for a name and every rule that matched
  banwall reload  [--config FILE]                    ask the running banwall to reload (POST /api/reload)
  banwall export firewall --format nftables|iptables|ip6tables [--resolver IP]... [--family ipv4|ipv6]
                          [--drop-quic] [--config FILE]
                                                     print egress rules from the policy's IP rules

FILE defaults to $BANWALL_CONFIG, then config/banwall.yaml.`;

const COMMANDS: Record<string, () => Promise<{ run(args: CliArgs): Promise<number> }>> = {
  serve: () => import('./cli/serve.ts'),
  check: () => import('./cli/check.ts'),
  explain: () => import('./cli/explain.ts'),
  reload: () => import('./cli/reload.ts'),
  export: () => import('./cli/export.ts'),
};

export interface CliArgs {
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
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      allowNegative: true,
      options: {
        config: { type: 'string', short: 'c' },
        client: { type: 'string' },
        type: { type: 'string' },
        format: { type: 'string' },
        resolver: { type: 'string', multiple: true },
        family: { type: 'string' },
        'drop-quic': { type: 'boolean' },
        strict: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    process.stderr.write(`banwall: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const [command = 'serve', ...rest] = positionals;
  const load = COMMANDS[command];
  if (values.help || !load) {
    (values.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const mod = await load();
  return mod.run({
    positionals: rest,
    config: values.config,
    client: values.client,
    type: values.type,
    format: values.format,
    resolver: values.resolver,
    family: values.family,
    dropQuic: values['drop-quic'],
    strict: values.strict,
  });
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
