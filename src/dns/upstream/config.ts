// Config of the upstream link: `dns.upstreams`, `dns.forward`, `dns.timeout`, `dns.maxPending`.
import { z } from 'zod';
import { duration } from '../../config/types.ts';

const SCHEMES = new Set(['udp:', 'tcp:', 'tls:', 'https:']);

/** `udp://IP[:port]`, `tcp://IP[:port]`, `tls://IP[:port]#servername`, `https://host/dns-query#IP`. */
export const upstreamUrl = z.string().refine(
  (v) => {
    if (!/^[a-z]+:\/\//.test(v)) return false;
    try {
      return SCHEMES.has(new URL(v).protocol);
    } catch {
      return false;
    }
  },
  {
    error: (iss) => `${JSON.stringify(iss.input)} is not an upstream URL (udp://, tcp://, tls://, https://)`,
  },
);

export const upstreamSchema = {
  upstreams: z.array(upstreamUrl).min(1),
  /** Conditional forwarding: zone → its own upstreams (internal zones). */
  forward: z.record(z.string(), z.array(upstreamUrl).min(1)).default({}),
  /** Overall time a query may wait for upstreams before SERVFAIL. */
  timeout: duration.prefault('2s'),
  /** Cap on upstream queries in flight; over it, SERVFAIL instead of an unbounded queue. */
  maxPending: z.number().int().positive().default(10_000),
};
