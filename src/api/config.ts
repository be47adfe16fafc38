// Config of the HTTP listener for metrics, health, the admin API and the PAC file: `http`.
import { z } from 'zod';
import { cidr, listenAddress } from '../config/types.ts';
import { SCOPES } from './scoped-tokens.ts';

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/** A host name the listener answers to (`Host` header), or `*.suffix` for every name under it. */
const hostName = z
  .string()
  .transform((v) => v.trim().toLowerCase().replace(/\.$/, ''))
  .refine((v) => /^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(v), {
    error: (iss) => `${JSON.stringify(iss.input)} is not a host name (name, or *.suffix)`,
  });

export const httpSchema = z
  .object({
    listen: z.array(listenAddress(9153)).min(1).prefault(['127.0.0.1:9153']),
    /** Bearer token for write endpoints (and reads); BANWALL_API_TOKEN overrides it. */
    token: z.string().min(16).optional(),
    /** Bearer token for the /api/ read endpoints only; BANWALL_API_READ_TOKEN overrides it. */
    readToken: z.string().min(16).optional(),
    /**
     * Scoped API tokens, kept as SHA-256 digests (`banwall token` prints a new one): each an id
     * (named in the audit log) and scopes: read, reload, cache, admin.
     */
    tokens: z
      .array(
        z
          .object({
            id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a token id is 1-64 letters, digits, _ . -'),
            sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 is the hex SHA-256 of the secret'),
            scopes: z.array(z.enum(SCOPES)).min(1),
          })
          .strict(),
      )
      .default([])
      .refine((ts) => new Set(ts.map((t) => t.id)).size === ts.length, 'token ids must be unique'),
    /** Clients that may use every endpoint; others get 403 (see metricsClients, and the PAC file). */
    allowedClients: z.array(cidr).prefault(LOOPBACK),
    /** Further clients that may read /metrics, /healthz and /readyz only (Prometheus, kubelet). */
    metricsClients: z.array(cidr).default([]),
    /**
     * Names the `Host` header may carry besides IP literals and `localhost` (DNS rebinding guard);
     * a request naming any other host gets 421.
     */
    hosts: z.array(hostName).default([]),
  })
  .strict()
  .prefault({});

export type HttpConfig = z.output<typeof httpSchema>;
