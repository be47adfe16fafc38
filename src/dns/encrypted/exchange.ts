// One DNS exchange for the encrypted front ends: wire query in, wire reply out, through the same
// resolver chain as UDP and TCP. DoT and DoH differ only in how the bytes travel; this is the rest.
import type { DnsAnswer, DnsQuery, Resolver } from '../resolver.ts';
import { parseQuery, encodeReply, errorReply } from './wire.ts';

/** Stream transports (TCP, DoT) and DoH carry up to 65535 bytes: no truncation below that. */
export const STREAM_LIMIT = 65535;

/**
 * Called with the reply to send, or `null` to send nothing (unparseable packet, rate-limit drop).
 * `answer` is given when the chain answered, so DoH can derive `Cache-Control` from its TTL.
 */
export type ReplySink = (reply: Buffer | null, answer: DnsAnswer | null) => void;

/** Answers `packet`; `done` runs exactly once, synchronously when the chain answers synchronously. */
export function exchange(
  resolver: Resolver,
  packet: Buffer,
  client: string,
  protocol: 'dot' | 'doh',
  done: ReplySink,
): void {
  const parsed = parseQuery(packet, client, protocol, performance.now());
  if (parsed === null) return done(null, null);
  if (!('packet' in parsed)) return done(parsed.reply, null);
  const query = parsed;
  let result;
  try {
    result = resolver.resolve(query);
  } catch {
    // Nothing a client sends may crash the process: a link that throws is a SERVFAIL.
    return done(errorReply(packet, 2), null);
  }
  if (result instanceof Promise) {
    result.then(
      (answer) => deliver(query, answer, done),
      () => done(errorReply(packet, 2), null),
    );
  } else {
    deliver(query, result, done);
  }
}

function deliver(query: DnsQuery, answer: DnsAnswer, done: ReplySink): void {
  if (answer.wire.length === 0) return done(null, answer);
  let reply: Buffer;
  try {
    reply = encodeReply(query, answer, STREAM_LIMIT);
  } catch {
    reply = errorReply(query.packet, 2);
  }
  done(reply, answer);
}

/** Seconds a DoH response may be cached (RFC 8484 §5.1: no longer than the smallest TTL). */
export function answerMaxAge(answer: DnsAnswer | null): number {
  if (answer === null) return 0;
  if (answer.ttlFixed !== undefined && answer.ttlFixed > 0) return answer.ttlFixed;
  if (answer.ttl === undefined) return 0;
  return Math.max(0, Math.floor(answer.ttl - (answer.ttlElapsed ?? 0)));
}
