// The special-use zones banwall answers itself by default, as Unbound does (its built-in
// local-zones), so that these names never leave the network: RFC 6761 (localhost, invalid),
// RFC 7686 (onion), RFC 8375 (home.arpa), RFC 6303 (reverse zones of private, loopback, link-local,
// documentation and unspecified addresses) and RFC 6598 (CGNAT, 100.64.0.0/10; Unbound lists it too).
//
// Left out on purpose: `test` (RFC 6761 §6.2 lets caching servers answer it, but test networks,
// this project's own tests among them, serve real data under it) and `resolver.arpa` (RFC 9462
// discovery: the shipped bypass list blocks it, which the blocking link above decides).

export interface ZoneSpec {
  /** The apex, lower-case, no trailing dot. */
  readonly apex: string;
  /** `localhost`: every name at or under the apex has A 127.0.0.1 and AAAA ::1 (Unbound's redirect).
   *  `static`: the apex has SOA and NS, the names in `ptr` a PTR to localhost., all else NXDOMAIN. */
  readonly kind: 'localhost' | 'static';
  /** Names holding a PTR to `localhost.` (loopback reverse). */
  readonly ptr?: readonly string[];
  /** Whether a `dns.forward` zone covering it sends its names to that zone's upstreams instead. */
  readonly forwardable: boolean;
}

const IP6_ZERO_29 = Array<string>(29).fill('0').join('.');
/** 0.0.0...0.ip6.arpa (::/128) and 1.0.0...0.ip6.arpa (::1/128). */
const IP6_UNSPECIFIED = `0.${IP6_ZERO_29}.0.0.ip6.arpa`;
const IP6_LOOPBACK = `1.${IP6_ZERO_29}.0.0.ip6.arpa`;

const range = (from: number, to: number, suffix: string): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${from + i}.${suffix}`);

const reverse = (apex: string): ZoneSpec => ({ apex, kind: 'static', forwardable: true });

export const DEFAULT_ZONES: readonly ZoneSpec[] = [
  { apex: 'localhost', kind: 'localhost', forwardable: false },
  { apex: 'invalid', kind: 'static', forwardable: false },
  { apex: 'onion', kind: 'static', forwardable: false },
  { apex: 'home.arpa', kind: 'static', forwardable: true },
  // Loopback: 127.0.0.0/8 and ::1, with the PTR to localhost. of 127.0.0.1 and ::1.
  { apex: '127.in-addr.arpa', kind: 'static', ptr: ['1.0.0.127.in-addr.arpa'], forwardable: true },
  { apex: IP6_LOOPBACK, kind: 'static', ptr: [IP6_LOOPBACK], forwardable: true },
  // RFC 1918 private networks.
  reverse('10.in-addr.arpa'),
  ...range(16, 31, '172.in-addr.arpa').map(reverse),
  reverse('168.192.in-addr.arpa'),
  // RFC 6598 shared address space (carrier-grade NAT), 100.64.0.0/10.
  ...range(64, 127, '100.in-addr.arpa').map(reverse),
  // RFC 6303: this network, link-local, documentation, broadcast; IPv6 unspecified, ULA,
  // link-local, documentation.
  reverse('0.in-addr.arpa'),
  reverse('254.169.in-addr.arpa'),
  reverse('2.0.192.in-addr.arpa'),
  reverse('100.51.198.in-addr.arpa'),
  reverse('113.0.203.in-addr.arpa'),
  reverse('255.255.255.255.in-addr.arpa'),
  reverse(IP6_UNSPECIFIED),
  reverse('d.f.ip6.arpa'),
  reverse('8.e.f.ip6.arpa'),
  reverse('9.e.f.ip6.arpa'),
  reverse('a.e.f.ip6.arpa'),
  reverse('b.e.f.ip6.arpa'),
  reverse('8.b.d.0.1.0.0.2.ip6.arpa'),
];
