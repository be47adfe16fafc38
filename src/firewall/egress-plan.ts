// What the firewall must do, independent of its syntax: the addresses to drop and the resolvers that
// may answer device DNS. Renderers (nftables.ts, iptables.ts) only print this.
import { isIP } from 'node:net';
import type { PolicySnapshot } from '../policy/snapshot.ts';
import { HTTPDNS_ADDRESSES, PUBLIC_RESOLVER_ADDRESSES, type BypassAddress } from './bypass-facts.ts';

export interface EgressPlan {
  /** banwall's own addresses: the only DNS/DoT destinations devices may use. */
  readonly resolvers: readonly string[];
  /** Every port, TCP and UDP: the policy's IP rules and the HTTPDNS endpoints. */
  readonly blocked: readonly BypassAddress[];
  /** Port 443 (DoH) only: public resolvers reached by IP literal. */
  readonly dohResolvers: readonly BypassAddress[];
}

/** `10.0.0.1` → `10.0.0.1/32`; leaves a CIDR as it is; lower-cases IPv6. */
export function normalizeCidr(text: string): string {
  const [addr, bits] = text.trim().toLowerCase().split('/');
  const family = isIP(addr);
  if (family === 0) throw new Error(`${JSON.stringify(text)} is not an IP address or CIDR`);
  return `${addr}/${bits ?? (family === 4 ? 32 : 128)}`;
}

export function family(cidr: string): 4 | 6 {
  return cidr.includes(':') ? 6 : 4;
}

export function buildEgressPlan(policy: PolicySnapshot, resolvers: readonly string[]): EgressPlan {
  const blocked = new Map<string, BypassAddress>();
  for (const { cidr, rule } of policy.ipRules()) {
    const key = normalizeCidr(cidr);
    if (!blocked.has(key))
      blocked.set(key, { cidr: key, why: `${rule.app}/${rule.category} list ${rule.list}` });
  }
  for (const b of HTTPDNS_ADDRESSES) {
    const key = normalizeCidr(b.cidr);
    if (!blocked.has(key)) blocked.set(key, { cidr: key, why: b.why });
  }
  const dohResolvers = PUBLIC_RESOLVER_ADDRESSES.filter((r) => !blocked.has(normalizeCidr(r.cidr)));
  return {
    resolvers: [...new Set(resolvers.map((r) => normalizeCidr(r)))],
    blocked: [...blocked.values()],
    dohResolvers,
  };
}

/** Addresses banwall serves devices on, from `dns.listen` (and DoT), when they are specific. */
export function resolversFromListen(hosts: readonly string[]): string[] {
  return hosts.filter((h) => {
    const f = isIP(h);
    if (f === 0) return false;
    // A wildcard or loopback listen address says nothing about the address devices reach.
    return !['0.0.0.0', '::'].includes(h) && !h.startsWith('127.') && h !== '::1';
  });
}
