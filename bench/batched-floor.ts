// The measurement behind dns.batchedIo (issue 17 item 6): the same "flip the query into a response"
// server on bare node:dgram (one 'message' callback and one send per datagram) and on the batched
// addon (one recvmmsg per wakeup, one JS call per batch, one sendmmsg for its replies), under dnsperf
// on loopback, alternating, with server CPU per answered query from /proc.
//
//   node bench/batched-floor.ts [--rounds 3] [--seconds 4]
//
// `node bench/batched-floor.ts serve dgram|batched PORT` is the server itself.
import dgram from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dnsperf } from './lib/dnsperf.ts';
import { cpuSeconds } from './lib/proc-stat.ts';
import { installCleanup, startReady, stop } from './lib/procs.ts';
import { freePort, waitForDnsAnswer } from './lib/probe.ts';
import { BatchedLayout, loadBatchedUdp } from '../src/net/batched-udp-addon.ts';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const DIR = path.join(BENCH, 'work/batched-floor');

function flip(b: Buffer, at: number): void {
  b[at + 2] |= 0x80;
  b[at + 3] &= 0xf0;
}

function serveDgram(port: number): void {
  const s = dgram.createSocket('udp4');
  s.on('message', (msg, rinfo) => {
    flip(msg, 0);
    s.send(msg, rinfo.port, rinfo.address);
  });
  s.bind(port, '127.0.0.1');
}

function serveBatched(port: number): void {
  const addon = loadBatchedUdp();
  if (addon === null) throw new Error('the addon is not built: node native/build.ts');
  const L = new BatchedLayout(64, 2048, 64, 2048);
  const [fd] = addon.bind('127.0.0.1', port, false, false);
  const words = L.words;
  const handle = addon.open(fd, L.memory, L.numbers, (n) => {
    let out = 0;
    for (let i = 0; i < n; i++) {
      const len = L.inLen[i];
      if (len < 12) continue;
      const from = L.inData + i * L.inSlotSize;
      const to = L.outData + out * L.outSlotSize;
      L.bytes.copy(L.bytes, to, from, from + len);
      flip(L.bytes, to);
      const a = (L.inAddr + i * 32) >> 2;
      const b = (L.outAddr + out * 32) >> 2;
      for (let w = 0; w < 7; w++) words[b + w] = words[a + w];
      L.outLen[out++] = len;
    }
    addon.flush(handle, out);
  });
}

async function measure(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, seconds: { type: 'string' } } });
  const rounds = Number(values.rounds ?? 3);
  const seconds = Number(values.seconds ?? 4);
  installCleanup();
  mkdirSync(DIR, { recursive: true });
  const queries = path.join(DIR, 'queries.txt');
  writeFileSync(queries, Array.from({ length: 1000 }, (_, i) => `h${i}.bench A\n`).join(''));
  const results: Record<string, { qps: number[]; us: number[] }> = {
    dgram: { qps: [], us: [] },
    batched: { qps: [], us: [] },
  };
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? ['dgram', 'batched'] : ['batched', 'dgram']) {
      const port = await freePort();
      const { proc } = await startReady(
        mode,
        process.execPath,
        [fileURLToPath(import.meta.url), 'serve', mode, String(port)],
        path.join(DIR, `${mode}.out`),
        (alive, t0) => waitForDnsAnswer(port, 'probe.bench', t0, 10_000, alive),
      );
      const pid = proc.proc.pid!;
      const cpu0 = cpuSeconds(pid);
      const res = await dnsperf(port, queries, seconds);
      const cpu = cpuSeconds(pid) - cpu0;
      const answered = res.sent - res.lost;
      results[mode].qps.push(res.qps);
      results[mode].us.push((cpu / answered) * 1e6);
      process.stdout.write(
        `${mode}: ${res.qps.toFixed(0)} q/s, ${((cpu / answered) * 1e6).toFixed(2)} µs CPU/query\n`,
      );
      await stop(proc);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [mode, r] of Object.entries(results)) {
    process.stdout.write(
      `median ${mode}: ${median(r.qps).toFixed(0)} q/s, ${median(r.us).toFixed(2)} µs CPU/query\n`,
    );
  }
}

if (process.argv[2] === 'serve') {
  const port = Number(process.argv[4]);
  if (process.argv[3] === 'batched') serveBatched(port);
  else serveDgram(port);
} else {
  await measure();
}
