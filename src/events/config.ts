// Config of the event pipeline: `events`.
import { z } from 'zod';
import { byteSize, duration } from '../config/types.ts';
import { FACILITIES, type Facility } from './syslog/rfc5424.ts';

/**
 * Memory per row held in a store ring (row-ring.ts), measured (heap and typed arrays, a 25-character
 * name, the other strings shared): ~220 bytes. So the default 32 MiB holds ~150,000 rows: ~2.5 s of
 * 60,000 blocked queries a second (~15 s of 10,000) with a writer that gets no CPU at all.
 */
export const ROW_BYTES = 220;

const FACILITY_NAMES = Object.keys(FACILITIES) as [Facility, ...Facility[]];

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
        /** Memory for events waiting for the writer (each of the store's rings: the serving
         * thread's, and the writer's rows and repeats); beyond it the oldest are dropped and
         * counted. Rings grow to it only while the writer is behind. */
        queueBytes: byteSize.default(32 * 1024 ** 2),
        /** The same bound in rows, when set (older configs); else queueBytes ÷ ROW_BYTES. */
        queueSize: z.number().int().min(1).max(10_000_000).optional(),
        /** How often queued events are committed (the most a process crash can lose). */
        flushInterval: duration.default(250),
        /** Identical events (client, name, type, rule, answer) within this span after one written
         * are one more row with their count; 0 writes a row per event. Streams and the live feed
         * still get every event. */
        foldWindow: duration
          .refine((ms) => ms <= 60_000, 'foldWindow is at most 1m (rows wait that long to be written)')
          .default(10_000),
      })
      .strict()
      .transform(({ queueSize, ...store }) => ({
        ...store,
        queueSize: queueSize ?? Math.max(1024, Math.floor(store.queueBytes / ROW_BYTES)),
      }))
      .prefault({}),
    /** RFC 5424 syslog destinations for the SIEM: udp://, tcp:// or tls://host:port. */
    syslog: z
      .array(
        z
          .object({
            url: z
              .string()
              .regex(/^(udp|tcp|tls):\/\/\S+$/, 'a syslog URL is udp://, tcp:// or tls://host:port'),
            facility: z.enum(FACILITY_NAMES).default('local0'),
            /** TLS: a CA file to verify the collector (the system store otherwise), and its name. */
            ca: z.string().optional(),
            servername: z.string().optional(),
            /** Bytes held while a TCP/TLS collector is away. */
            maxBuffered: byteSize.default(4 * 1024 * 1024),
          })
          .strict(),
      )
      .default([]),
  })
  .strict()
  .prefault({});

export type EventsConfig = z.output<typeof eventsSchema>;
