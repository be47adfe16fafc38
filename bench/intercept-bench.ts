// Interception part of the proxy benchmark: HTTPS through banwall's CONNECT, spliced (the origin's
// own TLS end to end) beside intercepted (proxy.intercept: banwall terminates TLS with a minted leaf,
// judges each request, and forwards it over its own verified TLS to the origin). The client is a
// small Node load generator in this process (wrk cannot CONNECT): kept tunnels with one request at a
// time each, and new tunnels (CONNECT + handshake + one request) back to back.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls, { type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { PROXY_LIST_SIZE, type DataFiles } from './lib/gen.ts';
import { cpuSeconds } from './lib/proc-stat.ts';
import { freePort, waitForTcp } from './lib/probe.ts';
import { start, stop, type Started } from './lib/procs.ts';
import { serveCommand } from './lib/start-flags.ts';
import type { Metric, Results } from './lib/results.ts';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const run = promisify(execFile);
/** In the bench zone, both at 127.0.0.1: one decrypted (proxy.intercept.hosts), one spliced. */
const INTERCEPTED = 'origin.bench';
const SPLICED = 'probe.bench';
const KEPT = 20;
const FRESH = 8;

export function interceptMetrics(): Metric[] {
  return [
    {
      key: 'kept.rps',
      label: `HTTPS requests, ${KEPT} kept tunnels, 1 KiB`,
      unit: 'req/s',
      better: 'higher',
      digits: 0,
    },
    { key: 'kept.cpu', label: 'kept tunnels: proxy CPU', unit: '% of a core', better: 'info', digits: 0 },
    {
      key: 'fresh.rps',
      label: `new tunnels (CONNECT + TLS + 1 request), ${FRESH} at a time`,
      unit: 'tunnels/s',
      better: 'higher',
      digits: 0,
    },
    { key: 'fresh.cpu', label: 'new tunnels: proxy CPU', unit: '% of a core', better: 'info', digits: 0 },
    { key: 'bad', label: 'failed requests or tunnels', unit: 'count', better: 'info', digits: 0 },
  ];
}

interface Certs {
  bwCa: string;
  bwKey: string;
  originCa: string;
  originCert: string;
  originKey: string;
}

async function makeCerts(dir: string): Promise<Certs> {
  const f = (n: string) => path.join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'];
  for (const [name, cn] of [
    ['bw-ca', 'bench interception CA'],
    ['origin-ca', 'bench origin CA'],
  ]) {
    await run('openssl', [
      'req',
      '-x509',
      ...ec,
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      ...ca,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.pem`),
    ]);
  }
  writeFileSync(f('origin.ext'), `subjectAltName=DNS:${INTERCEPTED},DNS:${SPLICED}\n`);
  await run('openssl', [
    'req',
    '-new',
    ...ec,
    '-subj',
    `/CN=${INTERCEPTED}`,
    '-keyout',
    f('origin.key'),
    '-out',
    f('origin.csr'),
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    f('origin.csr'),
    '-CA',
    f('origin-ca.pem'),
    '-CAkey',
    f('origin-ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('origin.ext'),
    '-out',
    f('origin.pem'),
  ]);
  return {
    bwCa: f('bw-ca.pem'),
    bwKey: f('bw-ca.key'),
    originCa: f('origin-ca.pem'),
    originCert: f('origin.pem'),
    originKey: f('origin.key'),
  };
}

/** CONNECT through the proxy, then TLS for `host`; the socket is ready for requests. */
function openTunnel(proxyPort: number, host: string, port: number, ca: Buffer[]): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(proxyPort, '127.0.0.1', () =>
      s.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`),
    );
    s.setNoDelay(true);
    s.once('error', reject);
    s.once('data', (d: Buffer) => {
      if (!d.toString('latin1').startsWith('HTTP/1.1 200'))
        return reject(new Error(`CONNECT: ${d.toString('latin1', 0, 40)}`));
      const t = tls.connect({ socket: s, servername: host, ca, ALPNProtocols: ['http/1.1'] });
      t.once('secureConnect', () => resolve(t));
      t.once('error', reject);
    });
  });
}

/** Sends one GET and resolves when its whole response (Content-Length) has arrived. */
function request(t: TLSSocket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      if (buf.length < end + 4 + len) return;
      t.off('data', onData);
      t.off('error', reject);
      if (!head.startsWith('HTTP/1.1 200')) reject(new Error(head.slice(0, 40)));
      else resolve();
    };
    t.on('data', onData);
    t.once('error', reject);
    t.write(`GET /1k HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
  });
}

async function load(
  seconds: number,
  workers: number,
  work: (worker: number) => Promise<void>,
): Promise<{ done: number; bad: number }> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  let bad = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < until) {
        try {
          await work(w);
          done++;
        } catch {
          bad++;
          if (bad > 1000) return;
        }
      }
    }),
  );
  return { done, bad };
}

export async function interceptRound(
  data: DataFiles,
  upstreamPort: number,
  res: Results,
  opts: { seconds: number; workDir: string; log: (line: string) => void },
): Promise<void> {
  const dir = path.join(opts.workDir, 'banwall-intercept');
  mkdirSync(dir, { recursive: true });
  const procs: Started[] = [];
  try {
    const certs = await makeCerts(dir);
    const originPort = await freePort();
    const origin = start(
      'tls-origin',
      process.execPath,
      [path.join(BENCH, 'servers/tls-origin.ts'), String(originPort), certs.originCert, certs.originKey],
      path.join(dir, 'origin.out'),
    );
    procs.push(origin);
    await waitForTcp(originPort, 10_000, () => origin.proc.exitCode === null);
    const [dnsPort, httpPort, proxyPort] = [await freePort(), await freePort(), await freePort()];
    const conf = path.join(dir, 'banwall.yaml');
    writeFileSync(
      conf,
      stringify({
        log: { level: 'warn' },
        dns: { listen: [`127.0.0.1:${dnsPort}`], upstreams: [`udp://127.0.0.1:${upstreamPort}`] },
        lists: [
          {
            name: 'bench',
            app: 'bench',
            category: 'core',
            source: data.lists.get(PROXY_LIST_SIZE)!.plain,
            format: 'domains',
          },
        ],
        groups: [{ name: 'default', lists: ['bench'] }],
        http: { listen: [`127.0.0.1:${httpPort}`] },
        queryLog: { enabled: false },
        proxy: {
          listen: [`127.0.0.1:${proxyPort}`],
          allowInternal: ['127.0.0.0/8'],
          connectPorts: [originPort],
          intercept: { ca: { cert: certs.bwCa, key: certs.bwKey }, hosts: [INTERCEPTED] },
        },
      }),
    );
    const serve = serveCommand(ROOT, conf);
    const bw = start('banwall-intercept', process.execPath, serve.args, path.join(dir, 'banwall.out'), {
      cwd: ROOT,
      env: { ...serve.env, NODE_EXTRA_CA_CERTS: certs.originCa },
    });
    procs.push(bw);
    await waitForTcp(proxyPort, 120_000, () => bw.proc.exitCode === null);
    const ca = [readFileSync(certs.bwCa), readFileSync(certs.originCa)];
    for (const [column, host] of [
      ['spliced', SPLICED],
      ['intercepted', INTERCEPTED],
    ] as const) {
      // Kept tunnels: the steady state of a browser tab.
      const tunnels = await Promise.all(
        Array.from({ length: KEPT }, () => openTunnel(proxyPort, host, originPort, ca)),
      );
      let cpu0 = cpuSeconds(bw.pid);
      let t0 = performance.now();
      const kept = await load(opts.seconds, KEPT, (w) => request(tunnels[w], host, originPort));
      let wall = (performance.now() - t0) / 1000;
      res.add('kept.rps', column, kept.done / wall);
      res.add('kept.cpu', column, ((cpuSeconds(bw.pid) - cpu0) / wall) * 100);
      for (const t of tunnels) t.destroy();
      // New tunnels: what each page load with a fresh connection costs.
      cpu0 = cpuSeconds(bw.pid);
      t0 = performance.now();
      const fresh = await load(opts.seconds, FRESH, async () => {
        const t = await openTunnel(proxyPort, host, originPort, ca);
        try {
          await request(t, host, originPort);
        } finally {
          t.destroy();
        }
      });
      wall = (performance.now() - t0) / 1000;
      res.add('fresh.rps', column, fresh.done / wall);
      res.add('fresh.cpu', column, ((cpuSeconds(bw.pid) - cpu0) / wall) * 100);
      res.add('bad', column, kept.bad + fresh.bad);
      opts.log(
        `  banwall ${column}: ${(kept.done / opts.seconds).toFixed(0)} req/s kept, ${(fresh.done / opts.seconds).toFixed(0)} tunnels/s new`,
      );
    }
  } catch (err) {
    const msg = `banwall intercept: ${(err as Error).message}`;
    res.errors.push(msg);
    opts.log(`  FAILED ${msg}`);
  } finally {
    for (const p of procs.reverse()) await stop(p);
  }
}
