// banwall under test: `node bin/banwall.js serve` with a generated config, the same blocklist as the
// peers in its plain-domains form, misses forwarded to the loopback upstream only.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startReady, stop } from '../lib/procs.ts';
import { serveCommand } from '../lib/start-flags.ts';
import { freePort, waitForDnsAnswer, waitForTcp } from '../lib/probe.ts';
import { PROBE_NAME, PROXY_LIST_SIZE, type DataFiles } from '../lib/gen.ts';
import type { DnsPeer, ProxyPeer, RunningServer } from './types.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface BanwallOptions {
  /** `dns.workers`: 1 or 'auto'. */
  workers: number | 'auto';
  /** `proxy.forwarder` for the proxy peer (default: banwall's own default). */
  forwarder?: 'auto' | 'undici' | 'http-proxy';
  /**
   * `dns.batchedIo`; default `auto`, what ships (the recvmmsg/sendmmsg addon when it is built).
   * `off` is the node:dgram path, the column `banwall-dgram`.
   */
  batchedIo?: 'auto' | 'on' | 'off';
  /** Directory for `node --cpu-prof` output; no profiling when absent. */
  profileDir?: string;
}

function config(
  dnsPort: number,
  httpPort: number,
  upstreamPort: number,
  listFile: string,
  opts: BanwallOptions,
  proxyPort?: number,
): Record<string, unknown> {
  return {
    log: { level: 'warn' },
    dns: {
      listen: [`127.0.0.1:${dnsPort}`],
      upstreams: [`udp://127.0.0.1:${upstreamPort}`],
      workers: opts.workers,
      batchedIo: opts.batchedIo ?? 'auto',
    },
    lists: [{ name: 'bench', app: 'bench', category: 'core', source: listFile, format: 'domains' }],
    groups: [{ name: 'default', lists: ['bench'] }],
    http: { listen: [`127.0.0.1:${httpPort}`] },
    queryLog: { enabled: false },
    // BENCH_EVENTS_STORE=off isolates the answering thread's cost of a blocked query (issue 17 item 1).
    // Else a store of its own, new at each start (launch): the default path is shared by every
    // banwall here, and a file left by earlier runs (or by an older schema, upgraded in the
    // background) made one run's blocked CPU per query 38 µs instead of 7.5.
    events: { store: process.env.BENCH_EVENTS_STORE === 'off' ? { enabled: false } : { path: 'events.db' } },
    ...(proxyPort === undefined
      ? {}
      : {
          proxy: {
            listen: [`127.0.0.1:${proxyPort}`],
            allowInternal: ['127.0.0.0/8'],
            ...(opts.forwarder === undefined ? {} : { forwarder: opts.forwarder }),
          },
        }),
  };
}

async function launch(
  name: string,
  dir: string,
  cfg: Record<string, unknown>,
  dnsPort: number,
  opts: BanwallOptions,
): Promise<RunningServer & { started: number }> {
  const conf = path.join(dir, 'banwall.yaml');
  writeFileSync(conf, stringify(cfg));
  for (const f of ['events.db', 'events.db-wal', 'events.db-shm']) rmSync(path.join(dir, f), { force: true });
  // As `npm start` and the container image run it (package.json's start: V8's young generation, one
  // malloc arena).
  const { args, env } = serveCommand(
    ROOT,
    conf,
    opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [],
  );
  const t0 = performance.now();
  const { proc, ready } = await startReady(
    name,
    process.execPath,
    args,
    path.join(dir, 'banwall.out'),
    (alive) => waitForDnsAnswer(dnsPort, PROBE_NAME, t0, 120_000, alive),
    { cwd: ROOT, env },
  );
  return { name, proc, port: dnsPort, readyMs: ready, started: t0 };
}

export function banwallDns(workDir: string, data: DataFiles, opts: BanwallOptions): DnsPeer {
  const name =
    (opts.workers === 1 ? 'banwall' : `banwall-w${opts.workers}`) +
    (opts.batchedIo === 'off' ? '-dgram' : '');
  const dir = path.join(workDir, name);
  mkdirSync(dir, { recursive: true });
  return {
    name,
    // The worker processes load the same lists as one process: the 1 M start is enough to show it.
    largestListOnly: opts.workers !== 1 || opts.batchedIo === 'off',
    async start(listSize: number, upstreamPort: number): Promise<RunningServer> {
      const dnsPort = await freePort();
      const httpPort = await freePort();
      const cfg = config(dnsPort, httpPort, upstreamPort, data.lists.get(listSize)!.plain, opts);
      return launch(name, dir, cfg, dnsPort, opts);
    },
  };
}

/** The proxy peer; with `forwarder: 'http-proxy'` it is the `banwall-http-proxy` column. */
export function banwallProxy(workDir: string, data: DataFiles, opts: BanwallOptions): ProxyPeer {
  const name = opts.forwarder === 'http-proxy' ? 'banwall-http-proxy' : 'banwall';
  const dir = path.join(workDir, name === 'banwall' ? 'banwall-proxy' : name);
  mkdirSync(dir, { recursive: true });
  return {
    name,
    async start(upstreamPort: number): Promise<RunningServer> {
      const [dnsPort, httpPort, proxyPort] = [await freePort(), await freePort(), await freePort()];
      const list = data.lists.get(PROXY_LIST_SIZE)!.plain;
      const cfg = config(dnsPort, httpPort, upstreamPort, list, opts, proxyPort);
      const s = await launch(name, dir, cfg, dnsPort, opts);
      try {
        await waitForTcp(proxyPort, 30_000, () => s.proc.proc.exitCode === null);
      } catch (err) {
        await stop(s.proc);
        throw err;
      }
      return { name, proc: s.proc, port: proxyPort, readyMs: performance.now() - s.started };
    },
  };
}
