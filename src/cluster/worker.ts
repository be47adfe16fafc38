// The worker side of `dns.workers`: each worker is a whole banwall (policy, chain, cache, DNS,
// proxy) whose HTTP listener is internal (loopback, a port the primary learns over IPC); the
// primary serves `http.listen`, aggregating /metrics and fanning reload and cache flush out.
import { AggregatorRegistry } from 'prom-client';
import type { LoadedConfig } from '../config/load.ts';
import type { Banwall } from '../app.ts';
import type { Logger } from '../log.ts';
import { registry } from '../metrics/registry.ts';
import { isToWorker, LISTEN_ENV, type FromWorker } from './messages.ts';

/** The worker's view of the config: internal HTTP listener, DNS ports as the primary resolved them. */
export function workerConfig(loaded: LoadedConfig): LoadedConfig {
  const cfg = loaded.config;
  const listen = process.env[LISTEN_ENV];
  return {
    ...loaded,
    config: {
      ...cfg,
      dns: { ...cfg.dns, listen: listen ? (JSON.parse(listen) as typeof cfg.dns.listen) : cfg.dns.listen },
      http: { ...cfg.http, listen: [{ host: '127.0.0.1', port: 0 }] as typeof cfg.http.listen },
    },
  };
}

function send(msg: FromWorker): void {
  process.send?.(msg);
}

/** Tells the primary this worker serves, and answers its metric, reload and flush requests. */
export function announceWorker(app: Banwall, log: Logger): void {
  // prom-client answers the primary's AggregatorRegistry from the registries named here; its
  // worker-side listener is only installed by constructing an AggregatorRegistry (prom-client 15).
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry();
  process.on('message', (msg: unknown) => {
    if (!isToWorker(msg)) return;
    if (msg.type === 'banwall:reload') {
      app.reload('api').then(
        (result) => send({ type: 'banwall:reloaded', id: msg.id, result }),
        (err: unknown) => log.error({ err }, 'reload requested by the primary failed'),
      );
    } else {
      const before = app.flushCache();
      send({ type: 'banwall:flushed', id: msg.id, entries: before.entries, bytes: before.bytes });
    }
  });
  const http = app.httpAddresses()[0];
  send({ type: 'banwall:ready', httpPort: http?.port ?? 0, dns: app.dnsAddresses() });
}
