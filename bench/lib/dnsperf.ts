// Runs one dnsperf process against a server and reads back what it reports. Throughput runs send
// as fast as the server answers (bounded outstanding queries); latency runs send at a fixed rate
// (`-Q`) with `-v`, and the per-query latencies it prints give p50/p99.
import { run } from './procs.ts';

export interface DnsperfResult {
  qps: number;
  sent: number;
  lost: number;
  /** Seconds, from `-v` output (latency runs only). */
  p50?: number;
  p99?: number;
  rcodes: string;
}

/** One client socket per "client"; 16 lets SO_REUSEPORT spread load over worker processes. */
const CLIENTS = 16;
const MAX_OUTSTANDING = 400;

export async function dnsperf(
  port: number,
  queryFile: string,
  seconds: number,
  opts: { rate?: number; passes?: number } = {},
): Promise<DnsperfResult> {
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-l', String(seconds)];
  args.push('-c', String(CLIENTS), '-q', String(MAX_OUTSTANDING), '-t', '2');
  if (opts.rate !== undefined) args.push('-Q', String(opts.rate), '-v');
  if (opts.passes !== undefined) args.push('-n', String(opts.passes));
  const res = await run('dnsperf', args, (seconds + 15) * 1000);
  const out = res.stdout;
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const result: DnsperfResult = {
    qps: num(/Queries per second:\s+([\d.]+)/),
    sent: num(/Queries sent:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    rcodes: /Response codes:\s+(.*)/.exec(out)?.[1] ?? '',
  };
  if (Number.isNaN(result.qps)) {
    throw new Error(`dnsperf failed (exit ${res.code}): ${res.stderr.slice(0, 500)}${out.slice(-500)}`);
  }
  if (opts.rate !== undefined) {
    const lat: number[] = [];
    for (const m of out.matchAll(/^> \S+ \S+ \S+ ([\d.]+)$/gm)) lat.push(Number(m[1]));
    lat.sort((a, b) => a - b);
    if (lat.length > 0) {
      result.p50 = lat[Math.floor(lat.length * 0.5)];
      result.p99 = lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))];
    }
  }
  return result;
}
