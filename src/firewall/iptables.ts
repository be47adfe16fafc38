// Renders an EgressPlan as `iptables-restore` (IPv4) or `ip6tables-restore` (IPv6) input: one chain,
// BANWALL-EGRESS, in the filter table. Declaring the chain flushes it, so `iptables-restore --noflush`
// replaces banwall's rules and leaves every other rule alone; FORWARD jumps to it (added once, see the
// header).
import { family, type EgressPlan } from './egress-plan.ts';
import { DNS_PORTS, DOH_PORTS } from './bypass-facts.ts';

const CHAIN = 'BANWALL-EGRESS';

export function renderIptables(plan: EgressPlan, fam: 4 | 6, header: readonly string[]): string {
  const tool = fam === 4 ? 'iptables' : 'ip6tables';
  const dns = DNS_PORTS.join(',');
  const doh = DOH_PORTS.join(',');
  const out = [
    ...header.map((h) => `# ${h}`),
    `# Load: ${tool}-restore --noflush < this-file`,
    `# Once: ${tool} -C FORWARD -j ${CHAIN} 2>/dev/null || ${tool} -I FORWARD -j ${CHAIN}`,
    '*filter',
    `:${CHAIN} - [0:0]`,
  ];
  const comment = (text: string) => `-m comment --comment "${text.replace(/"/g, "'").slice(0, 255)}"`;
  for (const b of plan.blocked) {
    if (family(b.cidr) !== fam) continue;
    out.push(`-A ${CHAIN} -d ${b.cidr} ${comment(`banwall: ${b.why}`)} -j DROP`);
  }
  for (const proto of ['udp', 'tcp']) {
    for (const r of plan.resolvers) {
      if (family(r) !== fam) continue;
      out.push(`-A ${CHAIN} -p ${proto} -m multiport --dports ${dns} -d ${r} -j RETURN`);
      out.push(`-A ${CHAIN} -p ${proto} -m multiport --dports ${dns} -s ${r} -j RETURN`);
    }
    out.push(
      `-A ${CHAIN} -p ${proto} -m multiport --dports ${dns} ${comment('banwall: device DNS not to banwall')} -j DROP`,
    );
    for (const d of plan.dohResolvers) {
      if (family(d.cidr) !== fam) continue;
      out.push(
        `-A ${CHAIN} -p ${proto} -m multiport --dports ${doh} -d ${d.cidr} ${comment('banwall: DoH by IP')} -j DROP`,
      );
    }
  }
  out.push('COMMIT', '');
  return out.join('\n');
}
