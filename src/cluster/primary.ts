// The primary of `dns.workers: auto` (or N > 1): forks one banwall worker per core, keeps them
// running, and serves `http.listen` for all of them: /metrics aggregated over the workers
// (prom-client's AggregatorRegistry), POST /api/reload and /api/cache/flush sent to every worker,
// everything else (health, status, explain, top, PAC) passed to one worker's internal listener,
// each after the listener's client, Host and token checks (src/api/access.ts). It loads no policy
// and answers no query: its memory and CPU stay out of the serving path.
import cluster, { type Worker } from 'node:cluster';
import dgram from 'node:dgram';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { AggregatorRegistry } from 'prom-client';
import type { LoadedConfig } from '../config/load.ts';
import type { Logger } from '../log.ts';
import type { ReloadResult } from '../api/admin-ops.ts';
import { HttpAccess, type Area } from '../api/access.ts';
import { sendError, sendJson, sendText } from '../api/respond.ts';
import { isFromWorker, LISTEN_ENV, type FromWorker, type ToWorker } from './messages.ts';
import { workerCount } from './role.ts';
import { listen } from '../net/listen.ts';
import { clusterCookieEnv } from '../dns/server/cookie-secrets.ts';

/** A worker that dies more often than this within a minute is a crash loop: stop everything. */
const MAX_RESTARTS_PER_MINUTE = 5;
const FANOUT_TIMEOUT_MS = 30_000;

type ListenAddr = { host: string; port: number };

/** Port 0 would give each worker its own port: pick one free port (UDP and TCP) for all of them. */
async function resolvePorts(listen: readonly ListenAddr[]): Promise<ListenAddr[]> {
  const out: ListenAddr[] = [];
  for (const a of listen) {
    if (a.port !== 0) {
      out.push(a);
      continue;
    }
    const v6 = net.isIPv6(a.host);
    const port = await new Promise<number>((resolve, reject) => {
      const u = dgram.createSocket(v6 ? 'udp6' : 'udp4');
      u.once('error', reject);
      u.bind({ address: a.host, port: 0, exclusive: true }, () => {
        const p = u.address().port;
        const t = net.createServer();
        t.once('error', reject);
        t.listen({ host: a.host, port: p, exclusive: true }, () => t.close(() => u.close(() => resolve(p))));
      });
    });
    out.push({ host: a.host, port });
  }
  return out;
}

export class ClusterPrimary {
  private readonly loaded: LoadedConfig;
  private readonly log: Logger;
  private readonly size: number;
  private readonly aggregator = new AggregatorRegistry();
  private readonly ready = new Map<number, Extract<FromWorker, { type: 'banwall:ready' }>>();
  private readonly pending = new Map<number, (msg: FromWorker) => void>();
  private readonly servers: http.Server[] = [];
  private readonly restarts: number[] = [];
  /** The same client, Host and token checks as a single process's listener (src/api/access.ts). */
  private readonly access: HttpAccess;
  private nextId = 1;
  private stopping = false;
  private env: Record<string, string> = {};
  private onAllReady: (() => void) | null = null;

  constructor(loaded: LoadedConfig, log: Logger) {
    this.loaded = loaded;
    this.log = log;
    this.size = workerCount(loaded.config);
    this.access = new HttpAccess(loaded.config.http, loaded.config.proxy?.allowedClients);
  }

  /** Forks the workers and binds `http.listen`; resolves when every worker serves. */
  async start(): Promise<void> {
    const listen = await resolvePorts(this.loaded.config.dns.listen);
    // One DNS cookie secret for every worker: a cookie one worker issued is valid at the others.
    this.env = { [LISTEN_ENV]: JSON.stringify(listen), ...clusterCookieEnv() };
    cluster.on('message', (worker, msg: unknown) => this.onMessage(worker, msg));
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    const allReady = new Promise<void>((resolve) => (this.onAllReady = resolve));
    for (let i = 0; i < this.size; i++) cluster.fork(this.env);
    await allReady;
    await this.listen();
    const first = [...this.ready.values()][0];
    this.log.info(
      {
        workers: this.size,
        dns: first?.dns ?? [],
        http: this.servers
          .map((s) => s.address() as net.AddressInfo)
          .map((a) => ({ host: a.address, port: a.port })),
      },
      'banwall cluster started',
    );
  }

  private onMessage(worker: Worker, msg: unknown): void {
    if (!isFromWorker(msg)) return;
    if (msg.type === 'banwall:ready') {
      this.ready.set(worker.id, msg);
      if (this.ready.size >= this.size && this.onAllReady) {
        this.onAllReady();
        this.onAllReady = null;
      }
      return;
    }
    this.pending.get(msg.id)?.(msg);
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    this.ready.delete(worker.id);
    if (this.stopping) return;
    const now = Date.now();
    this.restarts.push(now);
    while (this.restarts.length > 0 && this.restarts[0] < now - 60_000) this.restarts.shift();
    if (this.restarts.length > MAX_RESTARTS_PER_MINUTE) {
      this.log.fatal({ code, signal }, 'workers keep dying; stopping banwall');
      void this.stop(0).then(() => process.exit(1));
      return;
    }
    this.log.error({ worker: worker.id, code, signal }, 'worker exited; starting a replacement');
    cluster.fork(this.env);
  }

  /** Sends `make(id)` to every live worker and collects one answer from each. */
  private fanOut(make: (id: number) => ToWorker): Promise<FromWorker[]> {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
    return Promise.all(
      workers.map(
        (w) =>
          new Promise<FromWorker>((resolve, reject) => {
            const id = this.nextId++;
            const timer = setTimeout(() => {
              this.pending.delete(id);
              reject(new Error(`worker ${w.id} did not answer in ${FANOUT_TIMEOUT_MS} ms`));
            }, FANOUT_TIMEOUT_MS);
            this.pending.set(id, (msg) => {
              clearTimeout(timer);
              this.pending.delete(id);
              resolve(msg);
            });
            w.send(make(id));
          }),
      ),
    );
  }

  /** SIGHUP and POST /api/reload: every worker reloads; the result is ok only when all are. */
  async reload(): Promise<ReloadResult & { workers: number }> {
    const answers = await this.fanOut((id) => ({ type: 'banwall:reload', id }));
    const results = answers.flatMap((a) => (a.type === 'banwall:reloaded' ? [a.result] : []));
    return {
      ok: results.every((r) => r.ok),
      generation: Math.min(...results.map((r) => r.generation)),
      errors: [...new Set(results.flatMap((r) => r.errors))],
      workers: results.length,
    };
  }

  private async listen(): Promise<void> {
    for (const { host, port } of this.loaded.config.http.listen) {
      const server = http.createServer((req, res) => void this.handle(req, res));
      server.on('error', (err) => this.log.error({ err }, 'HTTP listener error'));
      await listen(server, host, port);
      this.servers.push(server);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?')[0];
      // Checked here: the worker behind sees every request come from the primary, over loopback.
      if (!this.access.admit(req, res, areaOf(path, req.method))) return;
      if (path === '/metrics' && req.method === 'GET') {
        sendText(res, 200, await this.aggregator.clusterMetrics(), this.aggregator.contentType);
      } else if ((path === '/api/reload' || path === '/api/cache/flush') && req.method === 'POST') {
        if (path === '/api/reload') {
          const r = await this.reload();
          sendJson(res, r.ok ? 200 : 422, r);
        } else {
          const answers = await this.fanOut((id) => ({ type: 'banwall:flush', id }));
          let flushed = 0;
          let bytes = 0;
          for (const a of answers) {
            if (a.type !== 'banwall:flushed') continue;
            flushed += a.entries;
            bytes += a.bytes;
          }
          sendJson(res, 200, { flushed, bytes, workers: answers.length });
        }
      } else {
        this.pass(req, res);
      }
    } catch (err) {
      this.log.error({ err }, 'cluster HTTP request failed');
      if (!res.headersSent) sendError(res, 500, (err as Error).message);
      else res.destroy();
    }
  }

  /** Any other request: to a worker's internal listener (the workers share it; any one answers). */
  private pass(req: IncomingMessage, res: ServerResponse): void {
    const target = [...this.ready.values()][0];
    if (!target) {
      sendError(res, 503, 'no worker is ready');
      return;
    }
    const up = http.request(
      { host: '127.0.0.1', port: target.httpPort, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) sendError(res, 502, `worker unreachable: ${err.message}`);
      else res.destroy();
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  }

  /** SIGTERM to every worker (each drains within the grace period), then the listener closes. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const kill = setTimeout(() => w.process.kill('SIGKILL'), graceMs + 2000);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** Who may ask `path` (src/api/access.ts): the same split as the single-process listener's routes. */
function areaOf(path: string, method: string | undefined): Area {
  if (path === '/metrics' || path === '/healthz' || path === '/readyz') return 'probe';
  if (path === '/proxy.pac') return 'pac';
  return method === 'POST' ? 'write' : 'read';
}

/** `banwall serve` in the primary: start the workers, forward signals, exit 0 when they have drained. */
export async function runPrimary(loaded: LoadedConfig, log: Logger): Promise<number> {
  const primary = new ClusterPrimary(loaded, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const grace = loaded.config.dns.shutdownGrace;
    log.info({ signal, graceMs: grace }, 'stopping');
    setTimeout(() => process.exit(0), grace + 5000).unref();
    primary.stop(grace).then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    primary.reload().then(
      (r) => log.info({ ok: r.ok, workers: r.workers, errors: r.errors }, 'cluster reloaded'),
      (err: unknown) => log.error({ err }, 'cluster reload failed'),
    );
  });
  try {
    await primary.start();
  } catch (err) {
    log.fatal({ err }, 'cannot start the workers');
    await primary.stop(0);
    return 1;
  }
  return -1;
}
