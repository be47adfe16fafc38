// The event pipeline of this process, built from the config: the live feed (always; it costs nothing
// without listeners), the SQLite store, the query-log file, syslog and dnstap destinations. The DNS
// side feeds it through a ring in the resolver chain, the proxy through its stats; both build the
// same PolicyEvent. Stream sinks are imported only when configured.
import path from 'node:path';
import type { Config } from './config/schema.ts';
import type { Logger } from './log.ts';
import { EventPipeline } from './events/pipeline.ts';
import { LiveFeed } from './events/live-feed.ts';
import { EventStore } from './events/event-store.ts';
import { JsonLinesSink } from './events/jsonl-sink.ts';
import { DnsEventRing } from './dns/querylog/dns-event-ring.ts';
import { splitHostPort } from './config/host-port.ts';

export interface AppEvents {
  readonly pipeline: EventPipeline;
  readonly ring: DnsEventRing;
  readonly live: LiveFeed;
  readonly store: EventStore | null;
  /** The SQLite file searches read (also when this process does not write it). */
  readonly storeFile: string;
  readonly file: JsonLinesSink | null;
  close(): Promise<void>;
}

export async function createEvents(cfg: Config, dir: string, log: Logger): Promise<AppEvents> {
  const pipeline = new EventPipeline();
  const live = new LiveFeed();
  pipeline.add(live, 'blocked');
  const recordAll = cfg.events.record === 'all';
  const storeCfg = cfg.events.store;
  const storeFile = path.resolve(dir, storeCfg.path);
  let store: EventStore | null = null;
  if (storeCfg.enabled) {
    store = new EventStore({
      file: storeFile,
      queueSize: storeCfg.queueSize,
      flushInterval: storeCfg.flushInterval,
      maxAge: storeCfg.maxAge,
      maxBytes: storeCfg.maxBytes,
      foldWindow: storeCfg.foldWindow,
      // The writer thread (~11 MB) starts with the first event: an idle resolver carries none.
      lazy: true,
    });
    pipeline.add(store, recordAll ? 'all' : 'blocked');
    // Someone opened the console's live feed: they will search next; have the writer up by then.
    const warm = store;
    live.onListener = () => warm.warm();
  }
  let file: JsonLinesSink | null = null;
  if (cfg.queryLog.enabled) {
    file = new JsonLinesSink(cfg.queryLog.target, dir, log);
    pipeline.add(file, cfg.queryLog.log === 'all' ? 'all' : 'blocked');
  }
  if (cfg.events.syslog.length > 0) {
    const { SyslogSink } = await import('./events/syslog/syslog-sink.ts');
    for (const s of cfg.events.syslog) {
      pipeline.add(
        new SyslogSink({
          url: s.url,
          facility: s.facility,
          ca: s.ca === undefined ? undefined : path.resolve(dir, s.ca),
          servername: s.servername,
          maxBuffered: s.maxBuffered,
        }),
        recordAll ? 'all' : 'blocked',
      );
    }
  }
  const tap = cfg.dns.dnstap;
  if (tap !== undefined) {
    const { DnstapSink } = await import('./dns/dnstap/dnstap-sink.ts');
    const hp = tap.target.startsWith('tcp://') ? splitHostPort(tap.target.slice(6)) : null;
    pipeline.add(
      new DnstapSink({
        target: hp === null ? { path: path.resolve(dir, tap.target) } : hp,
        identity: tap.identity,
        maxBuffered: tap.maxBuffered,
      }),
      recordAll ? 'all' : 'blocked',
    );
  }
  // Allowed queries are turned into events only when a sink takes them; the query log's sample
  // applies when it is the only one.
  const queryLogAll = cfg.queryLog.enabled && cfg.queryLog.log === 'all';
  const ring = new DnsEventRing(pipeline, {
    all: recordAll || queryLogAll,
    sample: recordAll ? 1 : cfg.queryLog.sample,
  });
  return {
    pipeline,
    ring,
    live,
    store,
    storeFile,
    file,
    close: async () => {
      ring.flush();
      await pipeline.close();
    },
  };
}
