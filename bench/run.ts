// `npm run bench`: banwall against dnsmasq, Unbound, dnsdist, Squid and tinyproxy on this machine, in one
// run, on loopback only. Peers and banwall alternate within each round; the table shows medians.
// Options: --rounds N, --seconds S (per DNS scenario), --quick (1 round, short runs),
// --only dns|proxy|events|start, --servers a,b (only these, by table name), --no-workers (skip the `dns.workers: auto` column),
// --profile (see profile.ts; with --only proxy, proxy-profile.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate } from './lib/gen.ts';
import { ensurePackages } from './lib/install.ts';
import { installCleanup, start, stop, stillRunning } from './lib/procs.ts';
import { Results } from './lib/results.ts';
import { table } from './lib/table.ts';
import { dnsMetrics, dnsRound } from './dns-bench.ts';
import { originRound, proxyMetrics, proxyRound } from './proxy-bench.ts';
import { interceptMetrics, interceptRound } from './intercept-bench.ts';
import { startNsd } from './servers/nsd.ts';
import { dnsmasq } from './servers/dnsmasq.ts';
import { unbound } from './servers/unbound.ts';
import { dnsdist } from './servers/dnsdist.ts';
import { banwallDns, banwallProxy } from './servers/banwall.ts';
import { squid } from './servers/squid.ts';
import { tinyproxy } from './servers/tinyproxy.ts';
import { dgramFloor } from './servers/dgram-floor.ts';
import { runProfile } from './profile.ts';
import { eventsBench, formatEventsBench, type EventsBenchResult } from './events-bench.ts';
import { runProxyProfile } from './proxy-profile.ts';
import { cacheOverheadBench, formatTargets, startBench, type StartFigures } from './targets.ts';
import { waitForTcp } from './lib/probe.ts';
import type { DnsPeer, ProxyPeer } from './servers/types.ts';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const WORK = path.join(BENCH, 'work');
const RESULTS = path.join(BENCH, 'results');

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    quick: { type: 'boolean' },
    only: { type: 'string' },
    'no-workers': { type: 'boolean' },
    profile: { type: 'boolean' },
    servers: { type: 'string' },
  },
});

const quick = args.quick === true;
const rounds = Number(args.rounds ?? (quick ? 1 : 3));
const seconds = Number(args.seconds ?? (quick ? 3 : 5));
const proxySeconds = quick ? 3 : 4;
const latencyRate = 10_000;
/** Whether this run measures `part` (every part unless --only names one). */
const runs = (part: 'dns' | 'proxy' | 'events' | 'start') => args.only === undefined || args.only === part;
const started = performance.now();
const log = (line: string) =>
  process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

async function startOrigin(): Promise<{ port: number; stop: () => Promise<void> }> {
  const dir = path.join(WORK, 'origin');
  mkdirSync(dir, { recursive: true });
  const { freePort } = await import('./lib/probe.ts');
  const port = await freePort();
  const proc = start(
    'origin',
    process.execPath,
    [path.join(BENCH, 'servers/origin.ts'), String(port)],
    path.join(dir, 'origin.out'),
  );
  await waitForTcp(port, 10_000, () => proc.proc.exitCode === null);
  return { port, stop: () => stop(proc) };
}

function rotate<T>(list: readonly T[], by: number): T[] {
  return list.map((_, i) => list[(i + by) % list.length]);
}

async function main(): Promise<void> {
  installCleanup();
  mkdirSync(WORK, { recursive: true });
  mkdirSync(RESULTS, { recursive: true });
  await ensurePackages(log);
  log('generating zone, query files and blocklists (cached in bench/work/data)');
  const data = await generate(WORK);
  const nsd = await startNsd(WORK, data.zone);
  log(`upstream: NSD on 127.0.0.1:${nsd.port}, bench. zone ready in ${(nsd.readyMs / 1000).toFixed(2)} s`);

  if (args.profile) {
    if (args.only === 'proxy') {
      const o = await startOrigin();
      await runProxyProfile(WORK, data, nsd.port, o.port, proxySeconds, log);
      await o.stop();
    } else {
      await runProfile(WORK, data, nsd.port, seconds, log);
    }
    await stop(nsd.proc);
    return;
  }

  const res = new Results();
  const withWorkers = args['no-workers'] !== true && os.availableParallelism() > 1;
  let dnsPeers: DnsPeer[] = [
    dnsmasq(WORK, data),
    unbound(WORK, data),
    dnsdist(WORK, data),
    banwallDns(WORK, data, { workers: 1 }),
    banwallDns(WORK, data, { workers: 1, batchedIo: 'off' }),
  ];
  if (withWorkers) dnsPeers.push(banwallDns(WORK, data, { workers: 'auto' }));
  dnsPeers.push(dgramFloor(WORK));
  let proxyPeers: ProxyPeer[] = [
    squid(WORK, data),
    tinyproxy(WORK, data),
    banwallProxy(WORK, data, { workers: 1, forwarder: 'undici' }),
    // The same banwall with every request on http-proxy-3 (proxy.forwarder: http-proxy), issue 17.5.
    banwallProxy(WORK, data, { workers: 1, forwarder: 'http-proxy' }),
  ];
  const keep = (p: { name: string }) => !args.servers || args.servers.split(',').includes(p.name);
  dnsPeers = dnsPeers.filter(keep);
  proxyPeers = proxyPeers.filter(keep);
  const origin = runs('proxy') ? await startOrigin() : undefined;

  for (let r = 0; r < rounds; r++) {
    if (runs('dns')) {
      log(`round ${r + 1}/${rounds}: DNS`);
      for (const peer of rotate(dnsPeers, r)) {
        await dnsRound(peer, data, nsd.port, res, { seconds, latencySeconds: 3, latencyRate, log });
      }
    }
    if (origin) {
      log(`round ${r + 1}/${rounds}: proxy`);
      const opts = { seconds: proxySeconds, workDir: WORK, originPort: origin.port, log };
      await originRound(res, opts);
      for (const peer of rotate(proxyPeers, r)) await proxyRound(peer, nsd.port, res, opts);
      // HTTPS through CONNECT, spliced beside intercepted (--servers intercept runs only this).
      if (keep({ name: 'intercept' })) await interceptRound(data, nsd.port, res, opts);
    }
  }
  await origin?.stop();
  await stop(nsd.proc);
  // The event store's cost (issue 14): its own banwalls and upstream, 5 (quick) or at least 7 alternating rounds.
  let events: EventsBenchResult | undefined;
  if (runs('events')) {
    log('event store: off, blocks only, every query, blocks unfolded');
    events = await eventsBench({ seconds: 2, rounds: quick ? 5 : Math.max(7, rounds), log });
  }
  // The 1 M list's start, idle RSS and reload (policy-start.ts) and the cache's bytes per entry.
  let start: StartFigures | null = null;
  let cacheOverhead: number | null = null;
  if (runs('start')) {
    // At least 3: a tree's first start also validates its config in a thread (a median skips it).
    const startRounds = Math.max(3, rounds);
    log(`1 M list: start from text and from the snapshot, idle RSS, reload (${startRounds} rounds)`);
    start = await startBench(startRounds, log);
    log('DNS cache: bytes per entry');
    cacheOverhead = await cacheOverheadBench(log);
  }

  const report = render(
    res,
    rounds,
    seconds,
    withWorkers,
    events,
    formatTargets(res, start, cacheOverhead, events),
  );
  writeFileSync(path.join(RESULTS, 'latest.md'), report);
  writeFileSync(
    path.join(RESULTS, 'latest.json'),
    JSON.stringify({ date: new Date().toISOString(), ...res.toJSON() }, null, 1),
  );
  process.stdout.write(`\n${report}\n`);
  log(
    `done; written to bench/results/latest.md${stillRunning().length ? `; still running: ${stillRunning()}` : ''}`,
  );
  // Whatever is still running (nothing, normally) is killed by the exit handler.
  process.exit(0);
}

function render(
  res: Results,
  rounds: number,
  secs: number,
  withWorkers: boolean,
  events: EventsBenchResult | undefined,
  targets: string,
): string {
  const cpus = os.cpus();
  const lines = [
    '# banwall benchmark',
    '',
    `${new Date().toISOString()} · ${cpus.length} × ${cpus[0]?.model ?? 'cpu'} · Node ${process.versions.node} · ` +
      `median of ${rounds} round(s), peers and banwall alternating · everything on loopback`,
    '',
    "## Targets (issue 17; issue 14's event-store cost), each from this run's tables below",
    '',
    targets,
    '',
    '## DNS (dnsperf, one process, 16 clients, 400 outstanding; throughput runs use the 1 M-name list)',
    '',
    table(
      'DNS',
      res,
      dnsMetrics(),
      'banwall',
      ['unbound', 'dnsdist', 'dnsmasq'],
      ['banwall-dgram', ...(withWorkers ? ['banwall-wauto'] : []), 'node dgram floor'],
    ),
    '',
    '## HTTP proxy (wrk, 1 thread, 50 connections, absolute-form requests, 100 k-name list)',
    '',
    table(
      'Proxy',
      res,
      proxyMetrics(),
      'banwall',
      ['squid', 'tinyproxy'],
      ['banwall-http-proxy', 'origin direct'],
    ),
    '',
    '## HTTPS through CONNECT: spliced beside intercepted (proxy.intercept), banwall only',
    '',
    table('HTTPS', res, interceptMetrics(), 'intercepted', ['spliced']),
    '',
    ...(events === undefined
      ? []
      : [
          '## Event store: what recording events costs the resolver (issue 14)',
          '',
          formatEventsBench(events),
          '',
        ]),
    '## Notes',
    '',
    `- Ratio columns are banwall ÷ peer for ↑ rows and peer ÷ banwall for ↓ rows: > 1× means banwall is better.`,
    `- The machine has ${cpus.length} cores, shared with the load generator (dnsperf/wrk) and the upstream (NSD) and, ` +
      'during development, with other engineers running tests: absolute figures are noisy; only the ratios of one run count.',
    `- DNS throughput: ${secs} s per scenario; latency: hits at a fixed ${latencyRate} q/s (dnsperf -Q, per-query ` +
      'latencies from -v). Unbound runs one thread (num-threads: 1, no validator); dnsmasq cache-size 20000; ' +
      'dnsdist (Debian) one listener with its packet cache (100,000 entries) and the list as a CDB file ' +
      '(KeyValueStoreLookupRule, suffix keys, RCodeAction NXDOMAIN).',
    '- "start to first answer": from spawn until a blocked name from the end of the list is answered NXDOMAIN (so the ' +
      'whole list is loaded), or the probe name for the empty list. RSS sums the whole process tree.',
    '- "lost" is dnsperf\'s count; it includes the queries still outstanding (up to 400) when the time limit ' +
      'stops the run, so a few hundred is the floor for every server.',
    '- banwall = the default config, `dns.batchedIo: auto`: UDP through the recvmmsg/sendmmsg addon when it is built ' +
      '(its start log says `dnsUdpIo`); banwall-dgram = `dns.batchedIo: off`, the pure-JS node:dgram path.',
    '- banwall-wauto = `dns.workers: auto` (one process per core, batched I/O as banwall); its RSS and CPU sum all its processes.',
    '- node dgram floor = a bare node:dgram server that flips each query into an answer (no parsing, no list): ' +
      "the most any single Node process can do here; banwall's own cost is what it spends above it.",
    '- Proxy: banwall = `proxy.forwarder: undici` (bodiless GET/HEAD on an undici Pool, the default); ' +
      'banwall-http-proxy = `proxy.forwarder: http-proxy` (every request through http-proxy-3), same run.',
    '- Proxy "allowed" targets the origin by IP literal (no proxy resolves a name); tinyproxy matches exact names ' +
      '(fnmatch), Squid and banwall names and subdomains.',
    '- HTTPS: a Node client in the harness process CONNECTs through banwall to a TLS origin (1 KiB); "spliced" is ' +
      'a host without interception (TLS end to end), "intercepted" a host in proxy.intercept.hosts (banwall ' +
      'terminates TLS with a cached minted leaf, judges each request, and re-encrypts to the verified origin).',
  ];
  if (res.errors.length > 0) lines.push('', '## Errors', '', ...res.errors.map((e) => `- ${e}`));
  return lines.join('\n') + '\n';
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
