// Renders an EgressPlan as an `nft -f` script: one `inet` table (IPv4 and IPv6 together) with a
// forward-hook chain, so it applies on the gateway that routes the devices. Loading it twice replaces
// the table (create-then-delete idiom), so a cron job can reload it after a list update.
import { family, QUIC_REASONS, type EgressPlan, type RenderOptions } from './egress-plan.ts';
import { DNS_PORTS, RESOLVER_PORTS, UPSTREAM_PORTS, type BypassAddress } from './bypass-facts.ts';

function set(name: string, type: string, items: readonly string[]): string[] {
  const lines = [`  set ${name} {`, `    type ${type}`, '    flags interval', '    auto-merge'];
  if (items.length > 0) lines.push(`    elements = { ${items.join(',\n                 ')} }`);
  lines.push('  }');
  return lines;
}

const ports = (p: readonly number[]) => (p.length === 1 ? String(p[0]) : `{ ${p.join(', ')} }`);

function cidrs(list: readonly (BypassAddress | string)[], fam: 4 | 6): string[] {
  return list.map((b) => (typeof b === 'string' ? b : b.cidr)).filter((c) => family(c) === fam);
}

export function renderNftables(
  plan: EgressPlan,
  header: readonly string[],
  opts: RenderOptions = { families: [4, 6], dropQuic: false },
): string {
  const both = opts.families.includes(4) && opts.families.includes(6);
  // A rule that matches no address family by itself is limited to the exported one(s).
  const only = both ? '' : `meta nfproto ${opts.families[0] === 4 ? 'ipv4' : 'ipv6'} `;
  const fams = opts.families.map((f) => (f === 4 ? { ip: 'ip', n: '4' } : { ip: 'ip6', n: '6' }));
  const each = (line: (ip: string, n: string) => string) => fams.map(({ ip, n }) => line(ip, n));
  const dns = ports(DNS_PORTS);
  const lines = [
    '#!/usr/sbin/nft -f',
    ...header.map((h) => `# ${h}`),
    '',
    'table inet banwall',
    'delete table inet banwall',
    '',
    'table inet banwall {',
    ...set('resolvers4', 'ipv4_addr', cidrs(plan.resolvers, 4)),
    ...set('resolvers6', 'ipv6_addr', cidrs(plan.resolvers, 6)),
    ...set('upstreams4', 'ipv4_addr', cidrs(plan.upstreams, 4)),
    ...set('upstreams6', 'ipv6_addr', cidrs(plan.upstreams, 6)),
    ...set('blocked4', 'ipv4_addr', cidrs(plan.blocked, 4)),
    ...set('blocked6', 'ipv6_addr', cidrs(plan.blocked, 6)),
    ...set('publicdns4', 'ipv4_addr', cidrs(plan.publicResolvers, 4)),
    ...set('publicdns6', 'ipv6_addr', cidrs(plan.publicResolvers, 6)),
    '',
    '  chain forward {',
    '    type filter hook forward priority filter - 10; policy accept;',
    '',
    "    # banwall's own queries to its upstreams (dns.upstreams, dns.forward) pass before any drop.",
    ...each(
      (ip, n) =>
        `    meta l4proto { tcp, udp } th dport ${ports(UPSTREAM_PORTS)} ${ip} saddr @resolvers${n} ${ip} daddr @upstreams${n} accept`,
    ),
    '',
    '    # Banned-app servers and private-DNS/HTTPDNS endpoints: every port, TCP and UDP (QUIC too).',
    ...each(
      (ip, n) => `    ${ip} daddr @blocked${n} counter drop comment "banwall: banned-app or HTTPDNS address"`,
    ),
    '',
    '    # DNS and DoT only to banwall; banwall itself may ask its upstreams.',
    ...each((ip, n) => `    meta l4proto { tcp, udp } th dport ${dns} ${ip} daddr @resolvers${n} accept`),
    ...each((ip, n) => `    meta l4proto { tcp, udp } th dport ${dns} ${ip} saddr @resolvers${n} accept`),
    `    ${only}meta l4proto { tcp, udp } th dport ${dns} counter drop comment "banwall: device DNS not to banwall"`,
    '',
    "    # DoH, DoT and DoQ to public resolvers by IP literal (never banwall's upstreams).",
    ...each(
      (ip, n) =>
        `    meta l4proto { tcp, udp } th dport ${ports(RESOLVER_PORTS)} ${ip} daddr @publicdns${n} counter drop comment "banwall: encrypted DNS to a public resolver"`,
    ),
  ];
  if (opts.dropQuic) {
    lines.push(
      '',
      ...QUIC_REASONS.map((r) => `    # ${r}`),
      `    ${only}udp dport 443 counter drop comment "banwall: QUIC bypasses the proxy"`,
    );
  }
  lines.push('  }', '}', '');
  return lines.join('\n');
}
