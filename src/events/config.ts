// Config of the event pipeline: `events`.
import { z } from 'zod';
import { byteSize, duration } from '../config/types.ts';

export const eventsSchema = z
  .object({
    /** Which decisions become events: `blocked` (and monitored), or `all` (allowed too). */
    record: z.enum(['blocked', 'all']).default('blocked'),
    store: z
      .object({
        enabled: z.boolean().default(true),
        /** The SQLite file, relative to the config file's directory. */
        path: z.string().min(1).default('../var/events.db'),
        /** Rows older than this are deleted while running; 0 keeps them. */
        maxAge: duration.default(30 * 86_400_000),
        /** Live data above this deletes the oldest rows; 0 for no bound. */
        maxBytes: byteSize.default(1024 ** 3),
        /** Events waiting for the writer; beyond it the oldest are dropped and counted. */
        queueSize: z.number().int().min(1).max(10_000_000).default(65_536),
        /** How often queued events are committed (the most a process crash can lose). */
        flushInterval: duration.default(250),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type EventsConfig = z.output<typeof eventsSchema>;
