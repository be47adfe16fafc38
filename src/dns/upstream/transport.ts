// What a transport (UDP, TCP, DoT, DoH) needs from the upstream it serves, and what it offers.
import type { Exchange } from './exchange.ts';

/** Why an attempt failed; a bounded set, used as the `reason` metric label. */
export type FailReason = 'timeout' | 'network' | 'malformed' | 'mismatch' | 'http' | 'overload';
export const FAIL_REASONS: readonly FailReason[] = [
  'timeout',
  'network',
  'malformed',
  'mismatch',
  'http',
  'overload',
];

export interface TransportSink {
  /** `msg` matched the attempt's ID and question; `rttMs` since it was sent. */
  answered(ex: Exchange, msg: Buffer, rttMs: number, via: Transport): void;
  failed(ex: Exchange, reason: FailReason): void;
  /** A message that could not be matched to a query in flight (late, spoofed or wrong question). */
  stray(reason: FailReason): void;
  /** A bug caught at the transport's edge: logged, never allowed to crash the process. */
  bug(err: unknown): void;
}

export interface Transport {
  /** Sends `msg` (a buffer the transport may write the ID into) for `ex`; false when it cannot. */
  send(ex: Exchange, msg: Buffer): boolean;
  readonly kind: 'udp' | 'tcp' | 'tls' | 'https';
  /** performance.now() when the oldest unanswered query was sent; -1 when none waits. */
  oldestPending(): number;
  close(): void;
}
