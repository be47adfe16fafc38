// The commands banwall knows: for each, the options it accepts (node:util parseArgs, strict), how many
// arguments it takes, its help text and where its code lives. Kept apart from the commands' code so
// that parsing and help never load the resolver or the policy engine.
import type { ParseArgsOptionsConfig } from 'node:util';
import type { CliArgs } from './args.ts';

export interface CommandModule {
  run(args: CliArgs): Promise<number>;
}

export interface Command {
  readonly name: string;
  /** One line: what the command does (the global usage lists these). */
  readonly summary: string;
  /** The synopsis after `banwall `. */
  readonly synopsis: string;
  /** Argument and option descriptions, for `banwall help CMD`. */
  readonly optionHelp: readonly string[];
  /** What else the help page says (signals, exit codes). */
  readonly notes?: readonly string[];
  readonly options: ParseArgsOptionsConfig;
  /** Whether `--no-NAME` turns a boolean option off (parseArgs allowNegative). */
  readonly allowNegative?: boolean;
  /** Positional arguments after the command name. */
  readonly args: { readonly min: number; readonly max: number; readonly missing: string };
  load(): Promise<CommandModule>;
}

/** The options of one command, by long name and kind; every command also takes --config and --help. */
interface OptionNames {
  readonly strings?: readonly string[];
  readonly booleans?: readonly string[];
  /** Repeatable string options (`--resolver A --resolver B`). */
  readonly lists?: readonly string[];
}

function options({ strings = [], booleans = [], lists = [] }: OptionNames): ParseArgsOptionsConfig {
  const out: ParseArgsOptionsConfig = {
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const name of strings) out[name] = { type: 'string' };
  for (const name of booleans) out[name] = { type: 'boolean' };
  for (const name of lists) out[name] = { type: 'string', multiple: true };
  return out;
}

const NO_ARGS = { min: 0, max: 0, missing: '' } as const;
const CONFIG_HELP = '  -c, --config FILE   the config (default: $BANWALL_CONFIG, then config/banwall.yaml)';

export const COMMANDS: readonly Command[] = [
  {
    name: 'serve',
    summary: 'run the resolver, the proxy and the HTTP listener',
    synopsis: 'serve [--config FILE] [--pid-file FILE] [--exit-with-parent]',
    optionHelp: [
      CONFIG_HELP,
      '  --pid-file FILE     write the PID here once every listener is bound; removed on exit; refuse',
      '                      to start while it names a running banwall',
      '  --exit-with-parent  stop (drain, exit 0) when the process that started banwall exits; on by',
      '                      default when npm starts banwall (npm start, npx banwall serve)',
    ],
    notes: [
      'Signals: SIGHUP reloads the config and lists; SIGTERM and SIGINT drain and exit 0.',
      'Send them to the banwall process itself (the PID in --pid-file): npm forwards SIGTERM and SIGINT',
      'but not SIGHUP.',
    ],
    options: options({ strings: ['pid-file'], booleans: ['exit-with-parent'] }),
    args: NO_ARGS,
    load: () => import('./serve.ts'),
  },
  {
    name: 'check',
    summary: 'validate the config and every list, print a summary',
    synopsis: 'check [--no-strict] [--config FILE]',
    optionHelp: [
      '  --no-strict         report bad list lines without failing (by default any bad line fails)',
      CONFIG_HELP,
    ],
    notes: [
      'Prints per-list counts and the bad lines with file:line (50 per list, then a count); exits 1 on',
      'any error, on any bad line (unless --no-strict) and on a list no group names (unless the list',
      'says `unused: true`).',
    ],
    options: options({ booleans: ['strict'] }),
    allowNegative: true,
    args: NO_ARGS,
    load: () => import('./check.ts'),
  },
  {
    name: 'explain',
    summary: 'show the decision for a name, URL or address and every rule that matched',
    synopsis: 'explain NAME|URL|IP [--client IP] [--type TYPE] [--resolve] [--json] [--config FILE]',
    optionHelp: [
      "  NAME|URL|IP         a domain name (weixin.qq.com), an http(s) URL (the proxy's decision) or an",
      '                      IP address (IP rules)',
      '  --client IP         judge as this client (its group); default 127.0.0.1',
      '  --type TYPE         the query type (A, AAAA, HTTPS, TYPE65, ...); default A',
      '  --resolve           also ask the configured upstreams and judge the live answer as the resolver',
      '                      does: every CNAME target and every address against the policy',
      '  --json              print the answer as JSON (the same shape as GET /api/explain)',
      CONFIG_HELP,
    ],
    notes: [
      'Exit status: 0 with an answer (blocked or allowed), 2 for input that is not a name, URL, address,',
      'client or type, 1 when the config or lists do not load or --resolve got no answer upstream.',
    ],
    options: options({ strings: ['client', 'type'], booleans: ['json', 'resolve'] }),
    args: { min: 1, max: 1, missing: 'a name, URL or IP address to explain' },
    load: () => import('./explain.ts'),
  },
  {
    name: 'reload',
    summary: 'ask the running banwall to reload (POST /api/reload)',
    synopsis: 'reload [--config FILE]',
    optionHelp: [CONFIG_HELP],
    notes: [
      "Uses the config's http.listen and API token (http.token or $BANWALL_API_TOKEN); prints the new",
      'policy generation, or why the reload was rejected (the previous policy keeps serving).',
    ],
    options: options({}),
    args: NO_ARGS,
    load: () => import('./reload.ts'),
  },
  {
    name: 'export',
    summary: "print egress firewall rules from the policy's IP rules",
    synopsis:
      'export firewall [--format nftables|iptables|ip6tables] [--resolver IP]... [--family ipv4|ipv6] ' +
      '[--drop-quic] [--config FILE]',
    optionHelp: [
      '  --format FORMAT     nftables (default), iptables or ip6tables',
      '  --resolver IP       an address devices use to reach banwall (repeat for IPv6 or several',
      '                      instances); default: the non-loopback addresses of dns.listen',
      '  --family FAMILY     ipv4 or ipv6: rules for one address family only (nftables writes both)',
      '  --drop-quic         also drop UDP/443 (QUIC) from the devices',
      CONFIG_HELP,
    ],
    options: options({ strings: ['format', 'family'], booleans: ['drop-quic'], lists: ['resolver'] }),
    args: { min: 1, max: 1, missing: 'what to export: firewall' },
    load: () => import('./export.ts'),
  },
  {
    name: 'events',
    summary: 'search the event store: who tried to reach a banned app, when, through which layer',
    synopsis:
      'events [--since T] [--until T] [--client IP|CIDR] [--group G] [--app A] [--category C] ' +
      '[--list L] [--layer dns|proxy] [--decision D] [--q TEXT] [--limit N] [--cursor N] ' +
      '[--summary BY] [--format table|ndjson|csv|json] [--db FILE] [--config FILE]',
    optionHelp: [
      '  --since T, --until T  ISO time, epoch ms, or a span back from now (15m, 24h, 7d)',
      '  --client IP|CIDR      one device or a range; --group, --app, --category, --list, --layer,',
      '                        --decision: exact values; --q: a substring of the name or URL',
      '  --limit N             at most N events (1-1000, default 100), newest first; --cursor N',
      '                        continues with older ones',
      '  --summary BY          counts by client, app, category, list, group, layer or decision',
      '  --format F            table (default), ndjson, csv or json',
      '  --db FILE             the SQLite file (default: events.store.path of the config)',
      CONFIG_HELP,
    ],
    notes: ['Reads the store read-only: safe beside a running banwall, or on a copy of the file.'],
    options: options({
      strings: [
        // the filter, then paging and output
        ...['since', 'until', 'client', 'group', 'app', 'category', 'list', 'layer', 'decision', 'q'],
        ...['limit', 'cursor', 'summary', 'format', 'db'],
      ],
    }),
    args: NO_ARGS,
    load: () => import('./events.ts'),
  },
  {
    name: 'audit',
    summary: "check the audit log's hash chain",
    synopsis: 'audit verify [FILE] [--config FILE]',
    optionHelp: ['  FILE                the audit log (default: audit.path of the config)', CONFIG_HELP],
    notes: [
      'Exit status: 0 when every line holds, 1 naming the first bad line (edited, removed, reordered).',
    ],
    options: options({}),
    args: { min: 1, max: 2, missing: 'an action: verify' },
    load: () => import('./audit.ts'),
  },
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
