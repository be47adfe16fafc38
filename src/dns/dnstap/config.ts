// Config of the dnstap stream: `dns.dnstap` (off when absent).
import { z } from 'zod';
import { byteSize, splitHostPort } from '../../config/types.ts';

export const dnstapSchema = z
  .object({
    /** A Unix socket path (`/run/dnstap.sock`) or `tcp://host:port` of the collector. */
    target: z.string().min(1),
    /** The identity field; the host name when absent (as BIND and Unbound do). */
    identity: z.string().optional(),
    /** Frames held while the collector is away; beyond it they are dropped and counted. */
    maxBuffered: byteSize.default(4 * 1024 * 1024),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.target.startsWith('tcp://') && splitHostPort(v.target.slice(6)) === null) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: `${v.target} is not tcp://host:port` });
    }
  });

export type DnstapConfig = z.output<typeof dnstapSchema>;
