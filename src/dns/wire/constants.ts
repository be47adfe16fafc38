// Numbers of the DNS wire format used by the hand-written fast path.

/** The OPT pseudo-record type (RFC 6891). */
export const OPT = 41;

/** What banwall advertises as its UDP payload size: the DNS Flag Day 2020 figure, safe from fragmentation. */
export const ADVERTISED_UDP_SIZE = 1232;

/**
 * The largest UDP answer to a client whose source address no valid server cookie proves (RFC 7873
 * §1: cookies are what lets a server tell a real client from a spoofed victim), whatever
 * `dns.maxUdpSize` says: a 57-byte spoofed query must never draw more than ~21x its size.
 */
export const AMPLIFICATION_CAP = 1232;

/** EDNS option codes. */
export const EDNS_COOKIE = 10;
export const EDNS_EDE = 15;

/** Record types the hand-written answers and checks share (a type one file alone speaks of stays there). */
export const TYPE = { A: 1, NS: 2, SOA: 6, PTR: 12, AAAA: 28, SVCB: 64, HTTPS: 65 } as const;

/** The Internet class, the only one banwall answers for. */
export const CLASS_IN = 1;

/** The header's TC (truncated) flag, in the 16-bit flags word. */
export const FLAG_TC = 0x0200;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended rcode 16 (RFC 6891): only expressible with an OPT record. */
  BADVERS: 16,
  /** Extended rcode 23 (RFC 7873 §8): a server cookie was required and missing or invalid. */
  BADCOOKIE: 23,
} as const;

/** Extended DNS Error info codes (RFC 8914) banwall uses. */
export const EDE_CODE = {
  OTHER: 0,
  STALE_ANSWER: 3,
  BLOCKED: 15,
  PROHIBITED: 18,
  NOT_READY: 14,
  NO_REACHABLE_AUTHORITY: 22,
  NETWORK_ERROR: 23,
} as const;
