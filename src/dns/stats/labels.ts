// The bounded label sets of the resolver's metrics, and O(1) lookups from a query to their index.
// Labels never carry a client address or a name: those go to the top-k summaries instead.
import { RESULTS, type Protocol, type Result } from '../resolver.ts';
import { QTYPE_NUMBERS } from '../wire/qtypes.ts';

export const PROTOCOLS: readonly Protocol[] = ['udp', 'tcp', 'dot', 'doh', 'internal'];

/** Query types with their own `qtype` label; every other type is counted as `other`. */
export const QTYPES: readonly string[] = [
  'A',
  'AAAA',
  'CNAME',
  'MX',
  'TXT',
  'NS',
  'SOA',
  'PTR',
  'SRV',
  'HTTPS',
  'SVCB',
  'ANY',
  'other',
];

export const QTYPE_OTHER = QTYPES.length - 1;

/** qtype number → index in QTYPES: one typed-array read per query instead of a switch or a Map. */
export const QTYPE_INDEX: Uint8Array = (() => {
  const t = new Uint8Array(65536).fill(QTYPE_OTHER);
  QTYPES.forEach((name, i) => {
    if (name in QTYPE_NUMBERS) t[QTYPE_NUMBERS[name]] = i;
  });
  return t;
})();

export const PROTOCOL_INDEX: Readonly<Record<Protocol, number>> = {
  udp: 0,
  tcp: 1,
  dot: 2,
  doh: 3,
  internal: 4,
};

export const RESULT_INDEX: Readonly<Record<Result, number>> = Object.fromEntries(
  RESULTS.map((r, i) => [r, i]),
) as Record<Result, number>;
