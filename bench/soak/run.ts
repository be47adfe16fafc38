// `npm run soak`: the long hardening runs, kept out of `npm test`.
//
// 1. Memory: 1,000,000 queries for distinct random names through banwall (every one a cache miss
//    answered by a wildcard upstream), with a small byte bound on the cache. RSS is sampled from
//    /proc; it must stay flat once the cache is full (growth over the second half < 15 %).
// 2. Reloads: 20 policy reloads (SIGHUP, each with an edited 10,000-name list) during sustained
//    dnsperf load (10,000 q/s, after a 10 s control run without reloads); dnsperf must report 0
//    lost, and a checker asking a blocked and an allowed name throughout must never get a wrong
//    answer.
// Everything runs on loopback, bounded in count and time; every process started is stopped by PID.
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBanwall, testConfig, type RunningBanwall } from '../../test/helpers/banwall.ts';
import { queryPacket } from '../../test/helpers/dns-query.ts';
import { startFastUpstream } from './fast-upstream.ts';
import { dnsperf } from './dnsperf.ts';

const DISTINCT = Number(process.env.SOAK_QUERIES ?? 1_000_000);
const RATE = Number(process.env.SOAK_QPS ?? 20_000);
const RELOADS = 20;

const rssMiB = async (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

function randomName(i: number): string {
  return `${i.toString(36)}-${Math.random().toString(36).slice(2, 10)}.soak.test`;
}

async function memorySoak(dir: string): Promise<boolean> {
  const upstream = await startFastUpstream();
  const bw = await startBanwall(
    testConfig([upstream.url], {
      dns: {
        cache: { maxEntries: 1_000_000, maxBytes: '16MiB', prefetch: { enabled: false } },
        maxPending: 100_000,
      },
    }),
    {
      dir,
      env: process.env.SOAK_HEAP_MB
        ? { NODE_OPTIONS: `--max-old-space-size=${process.env.SOAK_HEAP_MB}` }
        : {},
    },
  );
  try {
    const file = path.join(dir, 'distinct.txt');
    const lines: string[] = [];
    for (let i = 0; i < DISTINCT; i++) lines.push(`${randomName(i)} A`);
    await writeFile(file, `${lines.join('\n')}\n`);
    const pid = bw.proc.pid!;
    const samples: { t: number; rss: number }[] = [];
    const started = performance.now();
    const timer = setInterval(() => {
      void rssMiB(pid).then((rss) => samples.push({ t: (performance.now() - started) / 1000, rss }));
    }, 1000);
    const rssStart = await rssMiB(pid);
    const r = await dnsperf(bw.dnsPort, file, [
      '-n',
      '1',
      '-Q',
      String(RATE),
      '-l',
      String(Math.ceil((DISTINCT / RATE) * 2) + 30),
    ]);
    clearInterval(timer);
    const rssEnd = await rssMiB(pid);
    const half = samples.filter((s) => s.t >= samples.at(-1)!.t / 2);
    const midRss = half[0]?.rss ?? rssStart;
    const peak = Math.max(...samples.map((s) => s.rss), rssEnd);
    const growth = (rssEnd - midRss) / midRss;
    const metrics = await (await fetch(`http://127.0.0.1:${bw.httpPort}/metrics`)).text();
    const gauge = (name: string) => new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? '?';
    console.log('\n## Memory: distinct random names');
    console.log(`queries sent ${r.sent}, completed ${r.completed}, lost ${r.lost}, ${r.qps.toFixed(0)} q/s`);
    console.log(`upstream answered ${upstream.answered()}`);
    console.log(
      `RSS MiB: start ${rssStart.toFixed(0)}, at half-time ${midRss.toFixed(0)}, end ${rssEnd.toFixed(0)}, peak ${peak.toFixed(0)}; second-half growth ${(growth * 100).toFixed(1)} %`,
    );
    console.log(
      `cache entries ${gauge('banwall_dns_cache_entries')}, bytes ${gauge('banwall_dns_cache_bytes')}`,
    );
    const mib = (name: string) => (Number(gauge(name)) / 2 ** 20).toFixed(0);
    console.log(
      `V8 heap used ${mib('nodejs_heap_size_used_bytes')} MiB of ${mib('nodejs_heap_size_total_bytes')} MiB, external ${mib('nodejs_external_memory_bytes')} MiB`,
    );
    console.log(
      `RSS every 10 s: ${samples
        .filter((_, i) => i % 10 === 0)
        .map((s) => s.rss.toFixed(0))
        .join(' ')}`,
    );
    return growth < 0.15 && r.completed >= r.sent * 0.99;
  } finally {
    await bw.stop();
    await upstream.close();
  }
}

async function reloadSoak(dir: string): Promise<boolean> {
  const upstream = await startFastUpstream();
  const listFile = path.join(dir, 'blocked.txt');
  const base = Array.from({ length: 10_000 }, (_, i) => `blocked${i}.soak.test`);
  await writeFile(listFile, `${base.join('\n')}\n`);
  const bw: RunningBanwall = await startBanwall(
    testConfig([upstream.url], {
      lists: [{ name: 'soak', app: 'wechat', category: 'core', source: listFile }],
      groups: [{ name: 'default', lists: ['soak'] }],
    }),
    { dir },
  );
  // Checker: blocked0 must always be NXDOMAIN, allowed.soak.test always NOERROR.
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  let wrong = 0;
  let checked = 0;
  sock.on('message', (msg) => {
    checked++;
    const id = msg.readUInt16BE(0);
    const rcode = msg[3] & 0x0f;
    if ((id % 2 === 0 && rcode !== 3) || (id % 2 === 1 && rcode !== 0)) wrong++;
  });
  let id = 0;
  const checker = setInterval(() => {
    for (let k = 0; k < 10; k++, id = (id + 1) & 0xffff) {
      sock.send(
        queryPacket(id % 2 === 0 ? 'blocked0.soak.test' : 'allowed.soak.test', 1, { id }),
        bw.dnsPort,
        '127.0.0.1',
      );
    }
  }, 20);
  try {
    const file = path.join(dir, 'load.txt');
    const names = Array.from({ length: 2000 }, (_, i) =>
      i % 10 === 0 ? `blocked${i}.soak.test A` : `n${i}.soak.test A`,
    );
    await writeFile(file, `${names.join('\n')}\n`);
    // Control: the same load without reloads, so a loss can be told from this shared machine's noise.
    const control = await dnsperf(bw.dnsPort, file, ['-l', '10', '-Q', '10000']);
    const load = dnsperf(bw.dnsPort, file, ['-l', '30', '-Q', '10000']);
    let reloaded = 0;
    await new Promise((r) => setTimeout(r, 2000));
    for (let i = 0; i < RELOADS; i++) {
      await writeFile(listFile, `${base.join('\n')}\nextra${i}.soak.test\n`);
      const before = bw.logs.filter((l) => l.msg === 'policy reloaded').length;
      bw.proc.kill('SIGHUP');
      await bw
        .waitForLog(() => bw.logs.filter((l) => l.msg === 'policy reloaded').length > before, 10_000)
        .catch(() => {});
      reloaded = bw.logs.filter((l) => l.msg === 'policy reloaded').length;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const r = await load;
    clearInterval(checker);
    await new Promise((res) => setTimeout(res, 500));
    console.log('\n## Reloads under load');
    console.log(`policy reloads completed ${reloaded} of ${RELOADS}`);
    console.log(`control, no reloads (10 s): sent ${control.sent}, lost ${control.lost}`);
    console.log(`dnsperf: sent ${r.sent}, completed ${r.completed}, lost ${r.lost}, ${r.qps.toFixed(0)} q/s`);
    console.log(`checker: ${checked} answers, ${wrong} wrong`);
    return r.lost === 0 && wrong === 0 && reloaded >= RELOADS;
  } finally {
    clearInterval(checker);
    sock.close();
    await bw.stop();
    await upstream.close();
  }
}

const dir = await mkdtemp(path.join(tmpdir(), 'banwall-soak-'));
try {
  const only = process.argv[2];
  const results: Record<string, boolean> = {};
  if (!only || only === 'memory') results.memory = await memorySoak(await mkdtemp(path.join(dir, 'm-')));
  if (!only || only === 'reload') results.reload = await reloadSoak(await mkdtemp(path.join(dir, 'r-')));
  console.log('\n## Result');
  for (const [k, ok] of Object.entries(results)) console.log(`${k}: ${ok ? 'PASS' : 'FAIL'}`);
  if (Object.values(results).some((ok) => !ok)) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
