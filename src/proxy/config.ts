// Config of the HTTP forward proxy: `proxy` (optional; absent means off).
import { z } from 'zod';
import { byteSize, cidr, duration, listenAddress } from '../config/types.ts';

export const proxySchema = z
  .object({
    listen: z.array(listenAddress(3128)).min(1).prefault(['127.0.0.1:3128']),
    allowedClients: z.array(cidr).default(['127.0.0.0/8', '::1/128']),
    connectPorts: z.array(z.number().int().min(1).max(65535)).default([443]),
    auth: z
      .object({ users: z.record(z.string(), z.string()), realm: z.string().default('banwall') })
      .strict()
      .optional(),
    timeouts: z
      .object({
        idle: duration.prefault('60s'),
        headers: duration.prefault('10s'),
        upstream: duration.prefault('30s'),
        clientHello: duration.prefault('10s'),
      })
      .strict()
      .prefault({}),
    maxHeaderSize: byteSize.prefault('16KiB'),
    maxConnectionsPerClient: z.number().int().positive().default(256),
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
  })
  .strict();
