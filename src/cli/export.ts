// `banwall export firewall --format nftables|iptables|ip6tables [--resolver IP]...`: egress rules for
// the gateway in front of the devices, built from the compiled policy's IP rules and the bypass facts
// (src/firewall/README.md). The rules go to stdout, logs and errors to stderr.
import { pino } from 'pino';
import type { CliArgs } from '../cli.ts';
import { configPath, loadConfig } from '../config/load.ts';
import { PolicyStore } from '../policy/store.ts';
import { buildEgressPlan, normalizeCidr, resolversFromListen } from '../firewall/egress-plan.ts';
import { renderNftables } from '../firewall/nftables.ts';
import { renderIptables } from '../firewall/iptables.ts';
import { VERSION } from '../version.ts';

const FORMATS = ['nftables', 'iptables', 'ip6tables'] as const;
type Format = (typeof FORMATS)[number];

function fail(message: string): number {
  process.stderr.write(`banwall export: ${message}\n`);
  return 2;
}

export async function run(args: CliArgs): Promise<number> {
  const [what] = args.positionals;
  if (what !== 'firewall') return fail(`unknown export ${JSON.stringify(what ?? '')}; try "firewall"`);
  const format = (args.format ?? 'nftables') as Format;
  if (!FORMATS.includes(format)) return fail(`--format must be one of ${FORMATS.join(', ')}`);

  let loaded;
  try {
    loaded = await loadConfig(configPath(args.config));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  const cfg = loaded.config;
  let resolvers: string[];
  try {
    resolvers = (args.resolver ?? []).map(normalizeCidr);
  } catch (err) {
    return fail(`--resolver: ${(err as Error).message}`);
  }
  if (resolvers.length === 0) {
    const hosts = [...cfg.dns.listen, ...(cfg.dns.dot?.listen ?? [])].map((l) => l.host);
    resolvers = resolversFromListen(hosts);
  }
  if (resolvers.length === 0) {
    return fail(
      'cannot tell which address devices use to reach banwall (dns.listen is loopback or a wildcard); ' +
        'pass it with --resolver IP (repeat for IPv6 or several instances)',
    );
  }

  const log = pino({ level: 'warn', base: { name: 'banwall' } }, pino.destination(2));
  const store = new PolicyStore(log);
  try {
    await store.load(loaded);
  } catch (err) {
    const problems = (err as { problems?: string[] }).problems ?? [(err as Error).message];
    process.stderr.write(
      `banwall export: the policy does not compile:\n${problems.map((p) => `  ${p}\n`).join('')}`,
    );
    store.close();
    return 1;
  }
  const plan = buildEgressPlan(store.current, resolvers);
  store.close();

  const header = [
    `banwall ${VERSION} egress rules, from ${loaded.file} (policy generation ${store.current.generation}).`,
    `Devices may send DNS (53, 853) only to: ${plan.resolvers.join(', ')}.`,
    `${plan.blocked.length} addresses dropped on every port (policy IP rules + HTTPDNS, fact sheet §8);`,
    `${plan.dohResolvers.length} public resolvers dropped on 443 (DoH by IP literal).`,
    'Apply on the gateway that routes the devices; regenerate after a list update.',
  ];
  const text =
    format === 'nftables'
      ? renderNftables(plan, header)
      : renderIptables(plan, format === 'iptables' ? 4 : 6, header);
  process.stdout.write(text);
  return 0;
}
