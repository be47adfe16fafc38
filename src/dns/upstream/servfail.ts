// The Extended DNS Errors (RFC 8914) of the upstream link's SERVFAIL answers; the answers themselves
// come from the shared header-only builder in src/dns/wire/errors.ts (the front end writes the
// question and the OPT record carrying `ede`).
import type { DnsAnswer, Ede } from '../resolver.ts';
import { servfail as servfailAnswer } from '../wire/errors.ts';
import { EDE_CODE } from '../wire/constants.ts';

export const EDE_NO_REACHABLE_AUTHORITY: Ede = Object.freeze({
  code: EDE_CODE.NO_REACHABLE_AUTHORITY,
  text: 'no upstream answered in time',
});
export const EDE_NETWORK_ERROR: Ede = Object.freeze({
  code: EDE_CODE.NETWORK_ERROR,
  text: 'upstream network error',
});
export const EDE_OVERLOADED: Ede = Object.freeze({ code: 0, text: 'too many upstream queries in flight' });

/** SERVFAIL with `ede` (result servfail: the cache above neither stores it nor hides a stale answer). */
export function servfail(ede: Ede): DnsAnswer {
  return servfailAnswer(ede);
}
