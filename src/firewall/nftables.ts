// Renders an EgressPlan as an `nft -f` script: one `inet` table (IPv4 and IPv6 together) with a
// forward-hook chain, so it applies on the gateway that routes the devices. Loading it twice replaces
// the table (create-then-delete idiom), so a cron job can reload it after a list update.
import { family, type EgressPlan } from './egress-plan.ts';
import { DNS_PORTS, DOH_PORTS, type BypassAddress } from './bypass-facts.ts';

function set(name: string, type: string, items: readonly string[]): string[] {
  const lines = [`  set ${name} {`, `    type ${type}`, '    flags interval', '    auto-merge'];
  if (items.length > 0) lines.push(`    elements = { ${items.join(',\n                 ')} }`);
  lines.push('  }');
  return lines;
}

const ports = (p: readonly number[]) => (p.length === 1 ? String(p[0]) : `{ ${p.join(', ')} }`);

function cidrs(list: readonly BypassAddress[], fam: 4 | 6): string[] {
  return list.filter((b) => family(b.cidr) === fam).map((b) => b.cidr);
}

export function renderNftables(plan: EgressPlan, header: readonly string[]): string {
  const v4 = plan.resolvers.filter((r) => family(r) === 4);
  const v6 = plan.resolvers.filter((r) => family(r) === 6);
  const dns = ports(DNS_PORTS);
  const lines = [
    '#!/usr/sbin/nft -f',
    ...header.map((h) => `# ${h}`),
    '',
    'table inet banwall',
    'delete table inet banwall',
    '',
    'table inet banwall {',
    ...set('resolvers4', 'ipv4_addr', v4),
    ...set('resolvers6', 'ipv6_addr', v6),
    ...set('blocked4', 'ipv4_addr', cidrs(plan.blocked, 4)),
    ...set('blocked6', 'ipv6_addr', cidrs(plan.blocked, 6)),
    ...set('doh4', 'ipv4_addr', cidrs(plan.dohResolvers, 4)),
    ...set('doh6', 'ipv6_addr', cidrs(plan.dohResolvers, 6)),
    '',
    '  chain forward {',
    '    type filter hook forward priority filter - 10; policy accept;',
    '',
    '    # Banned-app servers and private-DNS/HTTPDNS endpoints: every port, TCP and UDP (QUIC too).',
    '    ip daddr @blocked4 counter drop comment "banwall: banned-app or HTTPDNS address"',
    '    ip6 daddr @blocked6 counter drop comment "banwall: banned-app or HTTPDNS address"',
    '',
    '    # DNS and DoT only to banwall; banwall itself may ask its upstreams.',
    `    meta l4proto { tcp, udp } th dport ${dns} ip daddr @resolvers4 accept`,
    `    meta l4proto { tcp, udp } th dport ${dns} ip6 daddr @resolvers6 accept`,
    `    meta l4proto { tcp, udp } th dport ${dns} ip saddr @resolvers4 accept`,
    `    meta l4proto { tcp, udp } th dport ${dns} ip6 saddr @resolvers6 accept`,
    `    meta l4proto { tcp, udp } th dport ${dns} counter drop comment "banwall: device DNS not to banwall"`,
    '',
    '    # DoH to public resolvers by IP literal (Kaspersky fallback targets).',
    `    meta l4proto { tcp, udp } th dport ${ports(DOH_PORTS)} ip daddr @doh4 counter drop comment "banwall: DoH by IP"`,
    `    meta l4proto { tcp, udp } th dport ${ports(DOH_PORTS)} ip6 daddr @doh6 counter drop comment "banwall: DoH by IP"`,
    '  }',
    '}',
    '',
  ];
  return lines.join('\n');
}
