// Renders an EgressPlan as `iptables-restore` (IPv4) or `ip6tables-restore` (IPv6) input: one chain,
// BANWALL-EGRESS, in the filter table. Declaring the chain flushes it, so `iptables-restore --noflush`
// replaces banwall's rules and leaves every other rule alone; FORWARD jumps to it (added once, see the
// header).
import { family, QUIC_REASONS, type EgressPlan } from './egress-plan.ts';
import { DNS_PORTS, RESOLVER_PORTS, UPSTREAM_PORTS } from './bypass-facts.ts';

const CHAIN = 'BANWALL-EGRESS';

export function renderIptables(
  plan: EgressPlan,
  fam: 4 | 6,
  header: readonly string[],
  opts: { dropQuic: boolean } = { dropQuic: false },
): string {
  const tool = fam === 4 ? 'iptables' : 'ip6tables';
  const dns = DNS_PORTS.join(',');
  const out = [
    ...header.map((h) => `# ${h}`),
    `# Load: ${tool}-restore --noflush < this-file`,
    `# Once: ${tool} -C FORWARD -j ${CHAIN} 2>/dev/null || ${tool} -I FORWARD -j ${CHAIN}`,
    '*filter',
    `:${CHAIN} - [0:0]`,
  ];
  const comment = (text: string) => `-m comment --comment "${text.replace(/"/g, "'").slice(0, 255)}"`;
  const mine = <T extends string | { cidr: string }>(list: readonly T[]) =>
    list.map((b) => (typeof b === 'string' ? b : b.cidr)).filter((c) => family(c) === fam);
  const protos = ['udp', 'tcp'];
  // banwall's own queries to its upstreams pass before any drop.
  for (const proto of protos) {
    for (const r of mine(plan.resolvers)) {
      for (const u of mine(plan.upstreams)) {
        out.push(
          `-A ${CHAIN} -p ${proto} -m multiport --dports ${UPSTREAM_PORTS.join(',')} -s ${r} -d ${u} ${comment('banwall: banwall to its upstream')} -j RETURN`,
        );
      }
    }
  }
  for (const b of plan.blocked) {
    if (family(b.cidr) === fam) out.push(`-A ${CHAIN} -d ${b.cidr} ${comment(`banwall: ${b.why}`)} -j DROP`);
  }
  for (const proto of protos) {
    for (const r of mine(plan.resolvers)) {
      out.push(`-A ${CHAIN} -p ${proto} -m multiport --dports ${dns} -d ${r} -j RETURN`);
      out.push(`-A ${CHAIN} -p ${proto} -m multiport --dports ${dns} -s ${r} -j RETURN`);
    }
    out.push(
      `-A ${CHAIN} -p ${proto} -m multiport --dports ${dns} ${comment('banwall: device DNS not to banwall')} -j DROP`,
    );
    for (const d of mine(plan.publicResolvers)) {
      out.push(
        `-A ${CHAIN} -p ${proto} -m multiport --dports ${RESOLVER_PORTS.join(',')} -d ${d} ${comment('banwall: encrypted DNS to a public resolver')} -j DROP`,
      );
    }
  }
  if (opts.dropQuic) {
    out.push(...QUIC_REASONS.map((r) => `# ${r}`));
    out.push(`-A ${CHAIN} -p udp --dport 443 ${comment('banwall: QUIC bypasses the proxy')} -j DROP`);
  }
  out.push('COMMIT', '');
  return out.join('\n');
}
