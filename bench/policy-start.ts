// A real `banwall serve` with a generated list of N names (default 1,000,000), loopback only, beside
// dnsdist (the list as a CDB file) and dnsmasq (`address=/name/`) with the same names, in one run:
//   node bench/policy-start.ts [N] [--rounds R] [--trees DIR,DIR] [--no-reload]
// Ready, for every server, is what a user means by it: from spawn until a listed name is refused
// (NXDOMAIN) AND an unlisted name is answered (NOERROR with the address a loopback upstream in this
// process gives): a server that refuses everything, or answers before its list is in, is not ready.
// Prints per start: ready, the server's CPU time (all threads) spent by then, and whole-process RSS
// idle 3 s after; banwall from text (empty cache dir) and from the policy snapshot file (a restart).
// `--trees` starts banwall from each of several checkouts (old tree / new tree), alternating their
// order every round with the peers, each with its own cache dir: an A/B in the same minutes, medians
// at the end. Last, unless --no-reload: the longest reply gap seen by a paced DNS load (one query
// every 2 ms) while the first tree's banwall reloads the list (an edited copy: parse and table build
// in the compile worker).
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { blockedName, writeCdb } from './lib/gen.ts';
import { serveCommand, startFlags } from './lib/start-flags.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '1' },
    trees: { type: 'string' },
    'no-reload': { type: 'boolean', default: false },
  },
});
const n = Number(positionals[0] ?? 1_000_000);
const rounds = Number(opts.rounds);
const trees = (opts.trees?.split(',') ?? [ROOT]).map((t) => path.resolve(t));
const dir = await mkdtemp(path.join(tmpdir(), 'banwall-bench-start-'));
const nameOf = blockedName;
const list = path.join(dir, 'big.txt');
/** Asked at every start: in no list, so the upstream's answer (UPSTREAM_ADDRESS) must come back. */
const ALLOWED = 'allowed.start.example';
const UPSTREAM_ADDRESS = [192, 0, 2, 77];

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

/** The loopback upstream every server forwards to: one A record (UPSTREAM_ADDRESS) for any name. */
async function startUpstream(): Promise<dgram.Socket> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (m, from) => {
    let end = 12;
    while (end < m.length && m[end] !== 0) end += m[end] + 1;
    end += 5; // root label, type, class
    if (m.length < 12 || end > m.length) return;
    const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...UPSTREAM_ADDRESS]);
    const answer = Buffer.concat([m.subarray(0, end), rr]);
    answer[2] = 0x81; // QR, RD
    answer[3] = 0x80; // RA, NOERROR
    answer.writeUInt16BE(1, 6);
    answer.writeUInt32BE(0, 8); // no authority, no additional (a client's OPT is dropped)
    sock.send(answer, from.port, from.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return sock;
}

/** The upstream's answer for ALLOWED: NOERROR, one answer, the address at the end. */
function isUpstreamAnswer(m: Buffer): boolean {
  return (
    (m[3] & 0x0f) === 0 && m.readUInt16BE(6) >= 1 && m.subarray(-4).equals(Buffer.from(UPSTREAM_ADDRESS))
  );
}

async function rssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024);
}

/** CPU time (user + system, every thread) the process has used, in ms (clock ticks of 10 ms). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Started {
  readonly proc: ChildProcess;
  readonly readyMs: number;
  readonly cpuMs: number;
}

/** Starts a server; resolves once a listed name is refused and ALLOWED answered (see the top). */
async function start(port: number, cmd: string, args: string[], cwd = ROOT): Promise<Started> {
  const t0 = performance.now();
  const proc = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  const sock = dgram.createSocket('udp4');
  sock.on('error', () => undefined);
  let refused = false;
  let answered = false;
  try {
    const readyMs = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        if (proc.exitCode !== null) reject(new Error(`${cmd} exited`));
        if (performance.now() - t0 > 60_000) reject(new Error(`${cmd}: not ready in 60 s`));
        if (!refused) sock.send(query(nameOf(4242), 1), port, '127.0.0.1');
        if (!answered) sock.send(query(ALLOWED, 2), port, '127.0.0.1');
      }, 2);
      sock.on('message', (m) => {
        if (m.readUInt16BE(0) === 1 && (m[3] & 0x0f) === 3) refused = true;
        if (m.readUInt16BE(0) === 2 && isUpstreamAnswer(m)) answered = true;
        if (refused && answered) {
          clearInterval(timer);
          resolve(performance.now() - t0);
        }
      });
    });
    return { proc, readyMs, cpuMs: await cpuMs(proc.pid!) };
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  } finally {
    sock.close();
  }
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

const idle = () => new Promise((r) => setTimeout(r, 3000));

interface Figures {
  readyMs: number;
  cpuMs: number;
  rssMB: number;
}

/** One start: ready, CPU by then, idle RSS; stopped after unless `keep`. */
async function measure(
  port: number,
  cmd: string,
  args: string[],
  cwd?: string,
  keep = false,
): Promise<Figures & { proc: ChildProcess }> {
  const s = await start(port, cmd, args, cwd);
  await idle();
  const rss = await rssMB(s.proc.pid!);
  if (!keep) await stop(s.proc);
  return { readyMs: Math.round(s.readyMs), cpuMs: s.cpuMs, rssMB: rss, proc: s.proc };
}

await writeList('');
const upstream = await startUpstream();
const upstreamPort = (upstream.address() as { port: number }).port;
const port = 20000 + Math.floor(Math.random() * 20000);

/** Per tree: its config (its own cache dir, so each tree reads the snapshot file it wrote). */
async function treeConfig(i: number): Promise<string> {
  const conf = path.join(dir, `banwall-${i}.yaml`);
  await writeFile(
    conf,
    stringify({
      log: { level: 'warn' },
      dns: { listen: [`127.0.0.1:${port}`], upstreams: [`udp://127.0.0.1:${upstreamPort}`] },
      http: { listen: ['127.0.0.1:0'] },
      queryLog: { enabled: false },
      events: { store: { path: path.join(dir, `events-${i}.db`) } },
      blocking: { cacheDir: path.join(dir, `cache-${i}`) },
      lists: [{ name: 'big', app: 'bench', category: 'core', source: list, format: 'domains' }],
    }),
  );
  return conf;
}
const confs = await Promise.all(trees.map((_, i) => treeConfig(i)));
// As that tree's `npm start` and image run it.
const banwallArgs = (i: number) => serveCommand(trees[i], confs[i]).args;
// Its environment (one malloc arena) for every child, the peers too, as every run of this bench had.
Object.assign(process.env, startFlags(trees[0]).env);

const cdb = path.join(dir, 'list.cdb');
await writeCdb(cdb, n);
const dnsdistConf = path.join(dir, 'dnsdist.conf');
await writeFile(
  dnsdistConf,
  `setSecurityPollSuffix('')\nsetLocal('127.0.0.1:${port + 1}')\n` +
    `newServer({address='127.0.0.1:${upstreamPort}', healthCheckMode='up'})\n` +
    `kvs = newCDBKVStore('${cdb}', 0)\n` +
    `addAction(KeyValueStoreLookupRule(kvs, KeyValueLookupKeySuffix()), RCodeAction(DNSRCode.NXDOMAIN))\n`,
);
const masqList = path.join(dir, 'dnsmasq-list.conf');
const fh = await open(masqList, 'w');
for (let i = 0; i < n; i += 10_000) {
  const chunk: string[] = [];
  for (let j = i; j < Math.min(n, i + 10_000); j++) chunk.push(`address=/${nameOf(j)}/`);
  await fh.write(`${chunk.join('\n')}\n`);
}
await fh.close();

const dnsdistArgs = ['--supervised', '--disable-syslog', '-C', dnsdistConf];
const dnsmasqArgs = [
  '-k',
  `--port=${port + 2}`,
  '--listen-address=127.0.0.1',
  '--bind-interfaces',
  '--no-resolv',
  '--no-hosts',
  '--no-poll',
  `--server=127.0.0.1#${upstreamPort}`,
  '--user=root',
  '--pid-file=',
  `--conf-file=${masqList}`,
];

type Row = 'dnsdist' | 'dnsmasq' | `text ${number}` | `snapshot ${number}`;
const results = new Map<Row, Figures[]>();
const record = (row: Row, f: Figures) => {
  const { readyMs, cpuMs: cpu, rssMB: rss } = f;
  (results.get(row) ?? results.set(row, []).get(row)!).push({ readyMs, cpuMs: cpu, rssMB: rss });
  console.log(
    JSON.stringify({
      row,
      tree: row.includes(' ') ? trees[Number(row.split(' ')[1])] : undefined,
      readyMs,
      cpuMs: cpu,
      rssMB: rss,
      load1: loadavg()[0].toFixed(1),
    }),
  );
};

for (let r = 0; r < rounds; r++) {
  const order = trees.map((_, i) => i);
  if (r % 2 === 1) order.reverse();
  record('dnsdist', await measure(port + 1, 'dnsdist', dnsdistArgs));
  record('dnsmasq', await measure(port + 2, 'dnsmasq', dnsmasqArgs));
  for (const i of order) {
    await rm(path.join(dir, `cache-${i}`), { recursive: true, force: true });
    record(`text ${i}`, await measure(port, process.execPath, banwallArgs(i), trees[i]));
    record(`snapshot ${i}`, await measure(port, process.execPath, banwallArgs(i), trees[i]));
  }
}

let reload: { longestReplyGapDuringReloadMs: number; longestReplyGapSameLoadNoReloadMs: number } | null =
  null;
if (!opts['no-reload']) {
  const running = await measure(port, process.execPath, banwallArgs(0), trees[0], true);
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
  await stop(running.proc);
  reload = {
    longestReplyGapDuringReloadMs: Math.round(gapMs),
    longestReplyGapSameLoadNoReloadMs: Math.round(baselineGapMs),
  };
}
upstream.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary: Record<string, unknown> = { names: n, rounds, trees };
for (const [row, fs] of results) {
  summary[row] = {
    readyMs: median(fs.map((f) => f.readyMs)),
    cpuMs: median(fs.map((f) => f.cpuMs)),
    rssMB: median(fs.map((f) => f.rssMB)),
    readyMsEach: fs.map((f) => f.readyMs),
  };
}
const ready = (row: Row) => median(results.get(row)!.map((f) => f.readyMs));
trees.forEach((_, i) => {
  summary[`ratio ${i}`] = {
    snapshotToDnsdist: +(ready(`snapshot ${i}`) / ready('dnsdist')).toFixed(2),
    textToDnsmasq: +(ready(`text ${i}`) / ready('dnsmasq')).toFixed(2),
  };
});
console.log(JSON.stringify({ ...summary, ...reload }));
await rm(dir, { recursive: true, force: true });
