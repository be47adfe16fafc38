// What the front end counts itself: packets it dropped and handler failures it survived. These never
// reach the chain (and so StatsResolver); answered errors (FORMERR, NOTIMP, BADVERS, SERVFAIL after a
// throw) are counted in DnsStats through recordFrontend as well.
export class FrontendCounters {
  /** Packets not answered: shorter than a header, responses, or arriving while stopping. */
  dropped = 0;
  /** FORMERR, NOTIMP and BADVERS replies. */
  malformed = 0;
  /** A link threw or rejected: answered SERVFAIL (or dropped when even that failed). */
  handlerErrors = 0;
  /** TCP connections closed at once for being over `maxConnections` or `maxConnectionsPerClient`. */
  tcpRefused = 0;
  /** TCP connections closed for idleness. */
  tcpIdleClosed = 0;
  /** BADCOOKIE sent instead of a reply truncated by the amplification cap (see UdpFront). */
  badCookie = 0;
  /** UDP replies the kernel refused or had no buffer for (batched path; dgram's go to its 'error'). */
  sendFailed = 0;
}
