// Config of the upstream link: `dns.upstreams`, `dns.forward`, `dns.timeout`, `dns.maxPending`,
// `dns.healthProbe`.
import { z } from 'zod';
import { duration } from '../../config/types.ts';
import { parseUpstreamUrl } from './upstream-url.ts';

/** `udp://IP[:53]`, `tcp://IP[:53]`, `tls://IP[:853]#servername`, `https://IP[:443]/dns-query#servername`. */
export const upstreamUrl = z.string().superRefine((v, ctx) => {
  const parsed = parseUpstreamUrl(v);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

/** A zone name: lower-cased, without the trailing dot ('' is the root). */
const zoneName = (z: string) => z.trim().toLowerCase().replace(/\.$/, '');

export const upstreamSchema = {
  upstreams: z.array(upstreamUrl).min(1),
  /** Conditional forwarding: zone → its own upstreams (internal zones). Longest matching zone wins. */
  forward: z
    .record(z.string(), z.array(upstreamUrl).min(1))
    .default({})
    .transform((rec) => Object.fromEntries(Object.entries(rec).map(([k, v]) => [zoneName(k), v]))),
  /** Overall time a query may wait for upstreams before SERVFAIL. */
  timeout: duration.prefault('2s'),
  /** Cap on upstream queries in flight; over it, SERVFAIL instead of an unbounded queue. */
  maxPending: z.number().int().positive().default(10_000),
  /**
   * Active probes of `dns.upstreams` (`. NS`), for /readyz: ready once one answers, unready within
   * 1.5 intervals after every one has stopped, with or without client traffic.
   */
  healthProbe: z
    .object({
      interval: duration
        .prefault('5s')
        .refine((ms) => ms >= 100 && ms <= 300_000, { error: 'must be between 100ms and 5m' }),
    })
    .strict()
    .prefault({}),
};
