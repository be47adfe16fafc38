// Config of the HTTP forward proxy: `proxy` (optional; absent means off). See src/proxy/README.md.
import { z } from 'zod';
import { byteSize, cidr, duration, listenAddress } from '../config/types.ts';

const port = z.number().int().min(1).max(65535);

/** proxy.allowInternal: a host name (`intranet.example`; `*.corp.example` = `corp.example`) or a CIDR. */
const INTERNAL_NAME =
  /^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;
const internalTarget = z.string().refine((v) => cidr.safeParse(v).success || INTERNAL_NAME.test(v), {
  error: (iss) => `${JSON.stringify(iss.input)} is not a host name, an IP address or a CIDR`,
});

/** A port (`8080`) or an inclusive range (`"1025-65535"`), parsed to [low, high]. */
const portRange = z.union([port, z.string()]).transform((v, ctx): [number, number] => {
  if (typeof v === 'number') return [v, v];
  const m = /^(\d{1,5})\s*-\s*(\d{1,5})$/.exec(v.trim()) ?? /^(\d{1,5})$/.exec(v.trim());
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(lo >= 1 && hi <= 65535 && lo <= hi)) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(v)} is not a port or a port range (1025-65535)`,
    });
    return z.NEVER;
  }
  return [lo, hi];
});

/** A host name for proxy.intercept.hosts: the name and its subdomains (`*.example.com` = `example.com`). */
const interceptHost = z
  .string()
  .refine((v) => INTERNAL_NAME.test(v) && cidr.safeParse(v).success === false, {
    error: (iss) => `${JSON.stringify(iss.input)} is not a host name`,
  })
  .transform((v) => v.toLowerCase().replace(/^\*\./, '').replace(/\.$/, ''));

/**
 * Selective TLS interception (issue 16.1): CONNECTs to these hosts are decrypted so that URL rules
 * apply to HTTPS; every other CONNECT is spliced, never decrypted. See src/proxy/README.md.
 */
export const interceptSchema = z
  .object({
    /** The CA that signs the leaf certificates (PEM files, relative to the config file). */
    ca: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict(),
    /**
     * The hosts to decrypt (each with its subdomains). Absent: exactly the hosts named by a block URL
     * rule (`url HOST …`, not `url * …`) in a list the client's group enforces.
     */
    hosts: z.array(interceptHost).optional(),
    /**
     * Hosts never decrypted, whatever names them (each with its subdomains): services whose apps pin
     * their certificates and that the network wants working (docs/operations.md). Their URL rules
     * then apply to plain HTTP only.
     */
    exclude: z.array(interceptHost).default([]),
    /** Leaf certificates kept in memory (one per name, 24 h each); the least recently used goes first. */
    maxLeaves: z.number().int().min(1).max(100_000).default(1000),
  })
  .strict();

export const proxySchema = z
  .object({
    listen: z.array(listenAddress(3128)).min(1).prefault(['127.0.0.1:3128']),
    allowedClients: z.array(cidr).default(['127.0.0.0/8', '::1/128']),
    /** Ports CONNECT may reach (Squid's SSL_ports). */
    connectPorts: z.array(port).default([443]),
    /** Ports plain HTTP may reach (Squid's Safe_ports, less the legacy protocols). */
    httpPorts: z.array(portRange).prefault([80, 443, '1025-65535']),
    /**
     * Addresses the proxy never connects to, whatever the name: link-local services (cloud metadata
     * at 169.254.169.254) by default; the shipped config adds loopback (Squid's `to_localhost`),
     * which is left out of the default only so that a proxy in front of a local origin can be tried.
     */
    deniedTargets: z.array(cidr).default(['0.0.0.0/8', '::/128', '169.254.0.0/16', 'fe80::/10']),
    /**
     * Refuse internal addresses: RFC 1918, CGNAT (100.64.0.0/10), ULA (fc00::/7), link-local, besides
     * the host's own addresses and loopback (always refused). On by default: a proxy for devices has
     * no business inside the server or cluster network (issue 12.3); see allowInternal.
     */
    denyPrivate: z.boolean().default(true),
    /**
     * Internal services the proxy may reach anyway: host names (the name and its subdomains, as the
     * request names them) or addresses/CIDRs (e.g. 127.0.0.1 for an origin on this host). Never
     * banwall's own listeners, never deniedTargets.
     */
    allowInternal: z.array(internalTarget).default([]),
    /**
     * Which code forwards plain-HTTP requests. `undici`: bodiless GET/HEAD (no body, no Upgrade) on
     * a keep-alive undici Pool per origin address (undici-forwarder.ts), everything else on
     * http-proxy-3; `http-proxy`: everything on http-proxy-3; `auto` (default): today `undici`,
     * the faster one measured here (bench/README.md).
     */
    forwarder: z.enum(['auto', 'undici', 'http-proxy']).default('auto'),
    /** Close a tunnel whose first bytes are not a TLS ClientHello (the SNI check needs one). */
    requireTls: z.boolean().default(true),
    auth: z
      .object({ users: z.record(z.string(), z.string()), realm: z.string().default('banwall') })
      .strict()
      .optional(),
    timeouts: z
      .object({
        /** A client connection with no request (or a tunnel with no traffic) for this long is closed. */
        idle: duration.prefault('60s'),
        /** The request line and headers must arrive within this. */
        headers: duration.prefault('10s'),
        /** Connecting to the origin, and each wait for its bytes, may take this long (then 504). */
        upstream: duration.prefault('30s'),
        /** The TLS ClientHello must arrive within this after `200 Connection Established`. */
        clientHello: duration.prefault('10s'),
      })
      .strict()
      .prefault({}),
    maxHeaderSize: byteSize.prefault('16KiB'),
    maxConnectionsPerClient: z.number().int().positive().default(256),
    /** Every client together; beyond it new connections are closed at once. */
    maxConnections: z.number().int().positive().default(8192),
    blockPage: z
      .object({
        title: z.string().default('Blocked by network policy'),
        policy: z
          .string()
          .default(
            'Government of Canada direction of 2023-10-30: WeChat and Kaspersky applications are not permitted on government-issued devices.',
          ),
        contact: z.string().default('your IT service desk'),
      })
      .strict()
      .prefault({}),
    intercept: interceptSchema.optional(),
    /** The PAC file at /proxy.pac on the HTTP listener. */
    pac: z
      .object({
        /** `host:port` devices use to reach the proxy; default: the bound listen addresses. */
        proxies: z.array(z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}$/)).default([]),
        /** Host suffixes sent DIRECT (intranet names); plain host names and loopback always are. */
        direct: z.array(z.string().regex(/^[A-Za-z0-9_.*-]+$/)).default([]),
        /** IP ranges sent DIRECT when the URL's host is an IP literal (no DNS lookup in the PAC). */
        directNetworks: z.array(cidr).default(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']),
      })
      .strict()
      .prefault({}),
  })
  .strict();
