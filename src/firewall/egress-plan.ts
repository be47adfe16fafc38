// What the firewall must do, independent of its syntax: the addresses to drop, the resolvers that may
// answer device DNS, and banwall's own upstreams, which no drop may hit. Renderers (nftables.ts,
// iptables.ts) only print this.
import { BlockList, isIP } from 'node:net';
import type { PolicySnapshot } from '../policy/snapshot.ts';
import {
  HTTPDNS_ADDRESSES,
  PUBLIC_RESOLVER_ADDRESSES,
  RESOLVER_CATEGORY,
  type BypassAddress,
} from './bypass-facts.ts';

export interface EgressPlan {
  /** banwall's own addresses: the only DNS/DoT destinations devices may use. */
  readonly resolvers: readonly string[];
  /** banwall's upstreams (`dns.upstreams`, `dns.forward`): banwall's traffic to them always passes. */
  readonly upstreams: readonly BypassAddress[];
  /** Every port, TCP and UDP: the policy's banned-app IP rules and the HTTPDNS endpoints. */
  readonly blocked: readonly BypassAddress[];
  /** DoH/DoT/DoQ ports only: public resolvers (IP rules of `bypass` lists, Kaspersky's fallbacks). */
  readonly publicResolvers: readonly BypassAddress[];
  /** Upstreams that fall inside a dropped range: exempt for banwall's own traffic only. */
  readonly shadowedUpstreams: readonly string[];
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

function rangeOf(cidr: string): BlockList {
  const [addr, bits] = cidr.split('/');
  const list = new BlockList();
  list.addSubnet(addr, Number(bits), family(cidr) === 4 ? 'ipv4' : 'ipv6');
  return list;
}

/**
 * @param resolvers banwall's addresses as devices reach them (and its outgoing address, if different)
 * @param upstreams IP addresses of banwall's upstreams; never dropped for banwall, never in a drop set
 */
export function buildEgressPlan(
  policy: PolicySnapshot,
  resolvers: readonly string[],
  upstreams: readonly { address: string; why: string }[] = [],
): EgressPlan {
  const exempt = new Map<string, BypassAddress>();
  for (const u of upstreams) {
    const key = normalizeCidr(u.address);
    if (!exempt.has(key)) exempt.set(key, { cidr: key, why: u.why });
  }
  const blocked = new Map<string, BypassAddress>();
  const resolverIps = new Map<string, BypassAddress>();
  const add = (into: Map<string, BypassAddress>, b: BypassAddress) => {
    const key = normalizeCidr(b.cidr);
    if (!exempt.has(key) && !blocked.has(key) && !into.has(key)) into.set(key, { cidr: key, why: b.why });
  };
  for (const { cidr, rule } of policy.ipRules()) {
    const why = `${rule.app}/${rule.category} list ${rule.list}`;
    // A resolver is closed on its DNS ports only: 1.1.1.1 or 8.8.8.8 may serve other things too.
    add(rule.category === RESOLVER_CATEGORY ? resolverIps : blocked, { cidr, why });
  }
  for (const b of HTTPDNS_ADDRESSES) add(blocked, b);
  for (const b of PUBLIC_RESOLVER_ADDRESSES) add(resolverIps, b);
  // An HTTPDNS endpoint listed in a bypass list too is dropped on every port: drop it from the other set.
  for (const key of blocked.keys()) resolverIps.delete(key);

  const shadowedUpstreams: string[] = [];
  const ranges = [...blocked.values(), ...resolverIps.values()].filter((b) => !/\/(32|128)$/.test(b.cidr));
  for (const u of exempt.values()) {
    const [addr] = u.cidr.split('/');
    const type = family(u.cidr) === 4 ? 'ipv4' : 'ipv6';
    if (ranges.some((r) => family(r.cidr) === family(u.cidr) && rangeOf(r.cidr).check(addr, type))) {
      shadowedUpstreams.push(addr);
    }
  }
  return {
    resolvers: [...new Set(resolvers.map((r) => normalizeCidr(r)))],
    upstreams: [...exempt.values()],
    blocked: [...blocked.values()],
    publicResolvers: [...resolverIps.values()],
    shadowedUpstreams,
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

/** The families an export covers that have no resolver: every device DNS flow there would drop. */
export function familiesWithoutResolver(plan: EgressPlan, families: readonly (4 | 6)[]): (4 | 6)[] {
  return families.filter((f) => !plan.resolvers.some((r) => family(r) === f));
}

export interface RenderOptions {
  /** Address families the rules cover; a family left out is not touched at all. */
  readonly families: readonly (4 | 6)[];
  /** Drop UDP/443 (QUIC, HTTP/3) so browsers fall back to TCP through the proxy. */
  readonly dropQuic: boolean;
}

/** Why UDP/443 is dropped, for the generated comments (issue 16 item 2). */
export const QUIC_REASONS: readonly string[] = [
  'QUIC (HTTP/3, UDP 443) is dropped: the HTTP proxy only sees TCP, so HTTP/3 would carry',
  'traffic around it (and Private Relay and DoH over HTTP/3 ride on it); browsers retry over TCP.',
];
