// Config of the canaries: `canaries` (issue 15 item 2). On by default: a ban that stops holding
// should be noticed within one interval without anyone having to ask.
import { isIP } from 'node:net';
import { z } from 'zod';
import { duration } from '../config/types.ts';

/** Every path a probe can take; each is probed only when the listener behind it is configured. */
export const CANARY_LAYERS = ['udp', 'tcp', 'dot', 'doh', 'http', 'connect'] as const;
export type CanaryLayer = (typeof CANARY_LAYERS)[number];

const NAME =
  /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/i;

/** The host name a probe target names ('' for an unparsable URL). */
function hostOf(target: string): string {
  if (!target.startsWith('http://')) return target.replace(/\.$/, '');
  return URL.canParse(target) ? new URL(target).hostname.replace(/\.$/, '') : '';
}

/** An operator's own probe: a name (asked over DNS, HTTP and CONNECT) or an http:// URL (HTTP only). */
const probeSchema = z
  .object({
    target: z.string().refine((v) => NAME.test(hostOf(v)) && isIP(hostOf(v)) === 0, {
      error: (iss) =>
        `${JSON.stringify(iss.input)} is neither a domain name nor an http:// URL with one (no IP: a probe must go through a name lookup, which banwall never forwards for a probe)`,
    }),
    /** Labels of its series in banwall_canary_ok; default `operator` / `probe`. */
    app: z.string().min(1).default('operator'),
    category: z.string().min(1).default('probe'),
  })
  .strict();

export const canariesSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** How often every probe runs (and once right after start and after each reload). */
    interval: duration.prefault('60s').refine((ms) => ms >= 200, 'at least 200ms'),
    /** How long one probe waits for its answer. */
    timeout: duration.prefault('2s').refine((ms) => ms >= 50, 'at least 50ms'),
    /**
     * The loopback address probes are sent from. Queries from it skip the counters, top lists and
     * query log, and are never forwarded upstream: keep it an address no real client uses.
     */
    source: z
      .string()
      .default('127.0.0.254')
      .refine((v) => isIP(v) === 4 && v.startsWith('127.'), 'an IPv4 loopback address (127.x.x.x)'),
    /** Which paths to probe (each only where configured). */
    layers: z.array(z.enum(CANARY_LAYERS)).default([...CANARY_LAYERS]),
    /** Probes added to the one per list that banwall picks itself. */
    probes: z.array(probeSchema).default([]),
  })
  .strict()
  .prefault({});

export type CanariesConfig = z.output<typeof canariesSchema>;
