// isIP without node:net's IPv6 regular expression, for addresses read at start (listen addresses,
// upstreams, CIDR entries): V8 compiles that expression on its first use, ~9 ms of every start
// here, though the default config holds only ::1/128 and IPv4 listeners. The socket-address parser
// (inet_pton, no regular expression) gives the same answers, checked against isIP on 300,000
// random strings and the edge cases; zone ids, where it is laxer, still go to isIP. Per-query
// checks keep isIP: the expression is compiled by then, by the first IPv6 client.
import { isIP, isIPv4, SocketAddress } from 'node:net';

/** 4, 6, or 0 when `addr` is no IP address, as node:net's isIP. */
export function ipFamily(addr: string): number {
  if (!addr.includes(':')) return isIPv4(addr) ? 4 : 0;
  if (addr.includes('%')) return isIP(addr);
  try {
    return new SocketAddress({ address: addr, family: 'ipv6' }).family === 'ipv6' ? 6 : 0;
  } catch {
    return 0;
  }
}
