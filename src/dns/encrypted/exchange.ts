// One DNS exchange for the encrypted front ends: wire query in, wire reply out, through the same
// resolver chain and the same parser and one-copy encoder (src/dns/wire/) as UDP and TCP. DoT and DoH
// differ only in how the bytes travel; this is the rest.
import type { DnsAnswer, DnsQuery, Resolver } from '../resolver.ts';
import { parseQuery, QueryError } from '../wire/parse-query.ts';
import { encodeReply, TCP_LIMIT } from '../wire/encode-reply.ts';
import { answerForError, servfail } from '../wire/errors.ts';
import type { DnsStats } from '../stats/dns-stats.ts';

/** Stream transports (TCP, DoT) and DoH carry up to 65535 bytes: no truncation below that. */
export const STREAM_LIMIT = TCP_LIMIT;

/**
 * Called with the reply to send, or `null` to send nothing (unparseable packet, rate-limit drop).
 * `answer` is given when there is one, so DoH can derive `Cache-Control` from its TTL.
 */
export type ReplySink = (reply: Buffer | null, answer: DnsAnswer | null) => void;

/**
 * Answers `packet`; `done` runs exactly once, synchronously when the chain answers synchronously.
 * `prefix` 2 writes the DoT length prefix into the reply buffer itself (one buffer, one write).
 */
export function exchange(
  resolver: Resolver,
  stats: DnsStats | null,
  packet: Buffer,
  client: string,
  protocol: 'dot' | 'doh',
  prefix: 0 | 2,
  done: ReplySink,
): void {
  const parsed = parseQuery(packet, client, protocol, performance.now());
  if (parsed === null) return done(null, null);
  if (parsed instanceof QueryError) {
    // Answered here, never seen by the chain's StatsResolver: counted like the UDP/TCP front end does.
    stats?.recordFrontend(protocol, 'formerr', parsed.query.qtype);
    return deliver(parsed.query, answerForError(parsed), prefix, done);
  }
  const query = parsed;
  const failed = () => {
    stats?.recordFrontend(protocol, 'servfail', query.qtype);
    deliver(query, servfail(), prefix, done);
  };
  let result;
  try {
    result = resolver.resolve(query);
  } catch {
    // Nothing a client sends may crash the process: a link that throws is a SERVFAIL.
    return failed();
  }
  if (result instanceof Promise) {
    result.then((answer) => deliver(query, answer, prefix, done), failed);
  } else {
    deliver(query, result, prefix, done);
  }
}

function deliver(query: DnsQuery, answer: DnsAnswer, prefix: 0 | 2, done: ReplySink): void {
  if (answer.wire.length === 0) return done(null, answer);
  let reply: Buffer;
  try {
    reply = encodeReply(query, answer, STREAM_LIMIT, prefix);
  } catch {
    reply = encodeReply(query, servfail(), STREAM_LIMIT, prefix);
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
