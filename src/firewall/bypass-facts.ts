// Addresses that defeat a DNS block when devices reach them directly (fact sheet §8 and §10,
// `shared/reference/banned-apps.md`). They belong in a firewall, not in a resolver: the device never
// asks banwall about them. Volatile: re-verify with the fact sheet before each release.

export interface BypassAddress {
  readonly cidr: string;
  /** Why it is blocked, shown as the rule's comment. */
  readonly why: string;
}

/** The addresses of one endpoint, all blocked for the same reason. */
function endpoint(why: string, ...cidrs: string[]): BypassAddress[] {
  return cidrs.map((cidr) => ({ cidr, why }));
}

/** Private-DNS and HTTPDNS endpoints: every port, TCP and UDP. Their only service is name resolution. */
export const HTTPDNS_ADDRESSES: readonly BypassAddress[] = [
  ...endpoint('WeChat newdns dns.weixin.qq.com (S13)', '43.130.30.240/32', '43.130.30.237/32'),
  ...endpoint('Tencent HTTPDNS / DNSPod Public DNS+ (S32)', '119.29.29.29/32'),
  ...endpoint('Tencent Cloud HTTPDNS, HTTP (S32)', '43.132.55.55/32'),
  ...endpoint('Tencent Cloud HTTPDNS, HTTPS (S32)', '43.132.55.56/32'),
  ...endpoint('DNSPod DoH/DoT (S8, M)', '1.12.12.12/32', '120.53.53.53/32'),
  ...endpoint('DNSPod public DNS, IPv6 (S9, M)', '2402:4e00::/128'),
];

/**
 * Public resolvers Kaspersky falls back to when banwall answers NXDOMAIN (S23, S24). Their port 53/853
 * is already closed by the "DNS only to banwall" rule; their DoH/DoT ports are closed too, since a
 * client configured with an IP literal never asks banwall a bootstrap name. Other traffic to them is
 * left alone: 1.1.1.1 and 8.8.8.8 are not only resolvers. The shipped list
 * blocklists/bypass/encrypted-dns.txt names these and many more (category `bypass`); this table keeps
 * the export complete for a config that leaves that list out.
 */
export const PUBLIC_RESOLVER_ADDRESSES: readonly BypassAddress[] = [
  ['Google Public DNS', '8.8.8.8/32'],
  ['Cloudflare DNS', '1.1.1.1/32'],
  ['Alibaba DNS', '223.6.6.6/32'],
  ['Quad9', '9.9.9.9/32'],
  ['CleanBrowsing', '185.228.168.168/32'],
].map(([name, cidr]) => ({ cidr, why: `${name}, Kaspersky fallback (S23)` }));

/** Device DNS: plain DNS (53) and DoT (853), TCP and UDP (DoQ also uses UDP 853). */
export const DNS_PORTS: readonly number[] = [53, 853];

/**
 * Ports closed towards public resolvers: DoH (TCP 443, and UDP 443 for DoH over HTTP/3) and DoT/DoQ
 * (853, already closed to everything but banwall; listed so the rule reads as what it is).
 */
export const RESOLVER_PORTS: readonly number[] = [443, 853];

/** Ports banwall itself uses towards its upstreams: udp/tcp 53, DoT 853, DoH 443. */
export const UPSTREAM_PORTS: readonly number[] = [53, 443, 853];

/** The list category whose IP rules are resolvers (closed on RESOLVER_PORTS), not app servers. */
export const RESOLVER_CATEGORY = 'bypass';
