// A real `banwall serve` with a generated list of N names (default 1,000,000), loopback only, beside
// dnsdist (the list as a CDB file) and dnsmasq (`address=/name/`) with the same names, in one run:
//   node bench/policy-start.ts [N]
// Prints: ready (spawn → first NXDOMAIN for a listed name) of dnsdist, dnsmasq, banwall from text
// (empty cache dir) and banwall from the policy snapshot file (a restart); whole-process RSS idle
// 3 s after each start; and the longest reply gap seen by a paced DNS load (one query every 2 ms)
// while banwall reloads the list (an edited copy: parse and table build in the compile worker).
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { blockedName, writeCdb } from './lib/gen.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const n = Number(process.argv[2] ?? 1_000_000);
const dir = await mkdtemp(path.join(tmpdir(), 'banwall-bench-start-'));
const nameOf = blockedName;
const list = path.join(dir, 'big.txt');

/** Writes the list (plus `extra`) to `target` (default: the list itself, through a rename). */
async function writeList(extra: string, target = list): Promise<void> {
  const fh = await open(`${target}.tmp`, 'w');
  for (let i = 0; i < n; i += 10_000) {
    const chunk: string[] = [];
    for (let j = i; j < Math.min(n, i + 10_000); j++) chunk.push(nameOf(j));
    await fh.write(`${chunk.join('\n')}\n`);
  }
  await fh.write(extra);
  await fh.close();
  await rename(`${target}.tmp`, target);
}

function query(name: string, id: number): Buffer {
  const q = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const head = Buffer.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([head, ...q, Buffer.from([0, 0, 1, 0, 1])]);
}

async function rssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

/** Starts a server; resolves with the process and ms to the first NXDOMAIN for a listed name. */
async function start(
  port: number,
  cmd = process.execPath,
  args = [path.join(ROOT, 'bin/banwall.js'), 'serve', '--config', conf],
): Promise<{ proc: ChildProcess; readyMs: number }> {
  const t0 = performance.now();
  const proc = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const sock = dgram.createSocket('udp4');
  sock.on('error', () => undefined);
  const readyMs = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      if (proc.exitCode !== null) reject(new Error('banwall exited'));
      if (performance.now() - t0 > 60_000) reject(new Error('not ready in 60 s'));
      sock.send(query(nameOf(4242), 1), port, '127.0.0.1');
    }, 5);
    sock.on('message', (m) => {
      if ((m[3] & 0x0f) === 3) {
        clearInterval(timer);
        resolve(performance.now() - t0);
      }
    });
  });
  sock.close();
  return { proc, readyMs };
}

/** Longest gap between replies to a query sent every 2 ms while `during` runs (bounded: 20 s). */
async function longestGap(port: number, during: () => Promise<void>): Promise<number> {
  const sock = dgram.createSocket('udp4');
  const sent = new Map<number, number>();
  let worst = 0;
  sock.on('message', (m) => {
    const t = sent.get(m.readUInt16BE(0));
    if (t !== undefined) worst = Math.max(worst, performance.now() - t);
  });
  let id = 0;
  const timer = setInterval(() => {
    id = (id + 1) & 0xffff;
    sent.set(id, performance.now());
    sock.send(query(nameOf(id % n), id), port, '127.0.0.1');
  }, 2);
  await during();
  await new Promise((r) => setTimeout(r, 500));
  clearInterval(timer);
  sock.close();
  return worst;
}

async function stop(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

await writeList('');
const port = 20000 + Math.floor(Math.random() * 20000);
const conf = path.join(dir, 'banwall.yaml');
await writeFile(
  conf,
  stringify({
    log: { level: 'warn' },
    dns: { listen: [`127.0.0.1:${port}`], upstreams: ['udp://127.0.0.1:9'] },
    http: { listen: ['127.0.0.1:0'] },
    queryLog: { enabled: false },
    events: { store: { path: path.join(dir, 'events.db') } },
    blocking: { cacheDir: path.join(dir, 'cache') },
    lists: [{ name: 'big', app: 'bench', category: 'core', source: list, format: 'domains' }],
  }),
);
const idle = () => new Promise((r) => setTimeout(r, 3000));
/** Ready ms and idle RSS of one peer, stopped after. */
async function peer(cmd: string, args: string[], p: number): Promise<{ readyMs: number; rssMB: number }> {
  const s = await start(p, cmd, args);
  await idle();
  const rss = await rssMB(s.proc.pid!);
  await stop(s.proc);
  return { readyMs: Math.round(s.readyMs), rssMB: rss };
}
const cdb = path.join(dir, 'list.cdb');
await writeCdb(cdb, n);
const dnsdistConf = path.join(dir, 'dnsdist.conf');
await writeFile(
  dnsdistConf,
  `setSecurityPollSuffix('')\nsetLocal('127.0.0.1:${port + 1}')\n` +
    `kvs = newCDBKVStore('${cdb}', 0)\n` +
    `addAction(KeyValueStoreLookupRule(kvs, KeyValueLookupKeySuffix()), RCodeAction(DNSRCode.NXDOMAIN))\n`,
);
const dnsdist = await peer('dnsdist', ['--supervised', '--disable-syslog', '-C', dnsdistConf], port + 1);
const masqList = path.join(dir, 'dnsmasq-list.conf');
const fh = await open(masqList, 'w');
for (let i = 0; i < n; i += 10_000) {
  const chunk: string[] = [];
  for (let j = i; j < Math.min(n, i + 10_000); j++) chunk.push(`address=/${nameOf(j)}/`);
  await fh.write(`${chunk.join('\n')}\n`);
}
await fh.close();
const dnsmasq = await peer(
  'dnsmasq',
  [
    '-k',
    `--port=${port + 2}`,
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--server=127.0.0.1#9',
    '--user=root',
    '--pid-file=',
    `--conf-file=${masqList}`,
  ],
  port + 2,
);
const fromText = await start(port);
await idle();
const rssText = await rssMB(fromText.proc.pid!);
await stop(fromText.proc);
const fromSnapshot = await start(port);
await idle();
const rssSnapshot = await rssMB(fromSnapshot.proc.pid!);
// The same paced load without a reload: what this machine's scheduling alone costs.
const baselineGapMs = await longestGap(port, () => new Promise((r) => setTimeout(r, 4000)));
// The edited copy is written first: generating 30 MB here would stall this process's own replies.
const edited = path.join(dir, 'edited.txt');
await writeList('reloaded.example.com\n', edited);
const gapMs = await longestGap(port, async () => {
  await rename(edited, list);
  // The watcher settles for ≥ 400 ms, the reload then takes about a second: 4 s covers it.
  await new Promise((r) => setTimeout(r, 4000));
});
await stop(fromSnapshot.proc);
console.log(
  JSON.stringify({
    names: n,
    dnsdistCdbReadyMs: dnsdist.readyMs,
    dnsmasqReadyMs: dnsmasq.readyMs,
    dnsdistRssMB: dnsdist.rssMB,
    dnsmasqRssMB: dnsmasq.rssMB,
    readyFromTextMs: Math.round(fromText.readyMs),
    readyFromSnapshotMs: Math.round(fromSnapshot.readyMs),
    rssIdleFromTextMB: rssText,
    rssIdleFromSnapshotMB: rssSnapshot,
    longestReplyGapDuringReloadMs: Math.round(gapMs),
    longestReplyGapSameLoadNoReloadMs: Math.round(baselineGapMs),
  }),
);
await rm(dir, { recursive: true, force: true });
