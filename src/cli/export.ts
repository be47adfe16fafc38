// `banwall export firewall --format nftables|iptables|ip6tables [--resolver IP]... [--family F]
// [--drop-quic]`: egress rules for the gateway in front of the devices, built from the compiled
// policy's IP rules and the bypass facts (src/firewall/README.md). The rules go to stdout, logs and
// errors to stderr.
import { pino } from 'pino';
import type { CliArgs } from './args.ts';
import { loadCommandConfig } from './config-arg.ts';
import { PolicyStore } from '../policy/store.ts';
import { parseUpstreamUrl } from '../dns/upstream/upstream-url.ts';
import {
  buildEgressPlan,
  familiesWithoutResolver,
  normalizeCidr,
  resolversFromListen,
} from '../firewall/egress-plan.ts';
import { renderNftables } from '../firewall/nftables.ts';
import { renderIptables } from '../firewall/iptables.ts';
import { QUIC_REASONS } from '../firewall/egress-plan.ts';
import { VERSION } from '../version.ts';

const FORMATS = ['nftables', 'iptables', 'ip6tables'] as const;
type Format = (typeof FORMATS)[number];
const FAMILIES: Record<string, 4 | 6> = { ipv4: 4, ipv6: 6 };

function fail(message: string): number {
  process.stderr.write(`banwall export: ${message}\n`);
  return 2;
}

/** The families the export covers: the format fixes it for iptables/ip6tables, `--family` narrows nft. */
function familiesFor(format: Format, flag: string | undefined): (4 | 6)[] | string {
  if (flag !== undefined && !(flag in FAMILIES)) return '--family must be ipv4 or ipv6';
  const wanted = flag === undefined ? undefined : FAMILIES[flag];
  if (format === 'nftables') return wanted === undefined ? [4, 6] : [wanted];
  const fixed = format === 'iptables' ? 4 : 6;
  if (wanted !== undefined && wanted !== fixed) return `--format ${format} writes IPv${fixed} rules only`;
  return [fixed];
}

/** banwall's own upstream addresses (`dns.upstreams` and every `dns.forward` zone), with the URL. */
function upstreamAddresses(upstreams: readonly string[], forward: Record<string, readonly string[]>) {
  const out: { address: string; why: string }[] = [];
  for (const url of [...upstreams, ...Object.values(forward).flat()]) {
    const u = parseUpstreamUrl(url);
    if (typeof u !== 'string') out.push({ address: u.host, why: `banwall upstream ${url}` });
  }
  return out;
}

export async function run(args: CliArgs): Promise<number> {
  const [what] = args.positionals;
  if (what !== 'firewall') return fail(`unknown export ${JSON.stringify(what ?? '')}; try "firewall"`);
  const format = (args.format ?? 'nftables') as Format;
  if (!FORMATS.includes(format)) return fail(`--format must be one of ${FORMATS.join(', ')}`);
  const families = familiesFor(format, args.family);
  if (typeof families === 'string') return fail(families);

  const loaded = await loadCommandConfig(args);
  if (typeof loaded === 'number') return loaded;
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
  const generation = store.current.generation;
  const plan = buildEgressPlan(
    store.current,
    resolvers,
    upstreamAddresses(cfg.dns.upstreams, cfg.dns.forward),
  );
  store.close();

  // A family with no resolver would drop every device DNS flow of that family without a word.
  const missing = familiesWithoutResolver(plan, families);
  if (missing.length > 0) {
    const fam = missing.map((f) => `IPv${f}`).join(' and ');
    const limit =
      format === 'nftables' ? ` or limit the rules with --family ipv${missing[0] === 4 ? 6 : 4}` : '';
    return fail(
      `no ${fam} address of banwall (--resolver or dns.listen): the rules would drop every ${fam} ` +
        `DNS query of the devices. Pass banwall's ${fam} address with --resolver${limit}`,
    );
  }
  for (const u of plan.shadowedUpstreams) {
    process.stderr.write(
      `banwall export: upstream ${u} lies inside a dropped range; only banwall's own traffic to it passes\n`,
    );
  }

  const shown = (f: 4 | 6) => families.includes(f);
  const count = (list: readonly { cidr: string }[]) =>
    list.filter((b) => shown(b.cidr.includes(':') ? 6 : 4)).length;
  const header = [
    `banwall ${VERSION} egress rules, from ${loaded.file} (policy generation ${generation}).`,
    `Families: ${families.map((f) => `IPv${f}`).join(', ')}.`,
    `Devices may send DNS (53, 853) only to: ${plan.resolvers.join(', ')}.`,
    `banwall's upstreams, never dropped for banwall and never in a drop set: ${plan.upstreams.map((u) => u.cidr).join(', ') || 'none'}.`,
    `${count(plan.blocked)} addresses dropped on every port (banned-app IP rules + HTTPDNS, fact sheet §8);`,
    `${count(plan.publicResolvers)} public resolvers dropped on 443 and 853 (DoH, DoT, DoQ by IP literal).`,
    ...(args.dropQuic ? QUIC_REASONS : []),
    'Apply on the gateway that routes the devices; regenerate after a list update.',
  ];
  const dropQuic = args.dropQuic === true;
  const text =
    format === 'nftables'
      ? renderNftables(plan, header, { families, dropQuic })
      : renderIptables(plan, families[0], header, { dropQuic });
  process.stdout.write(text);
  return 0;
}
