// Runs wrk against a forward proxy with absolute-form request lines (`GET http://host:port/ ...`),
// which is what a proxy receives from its clients; wrk itself only writes origin-form, so a small
// Lua script builds the request once.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from './procs.ts';

export interface WrkResult {
  rps: number;
  requests: number;
  /** Non-2xx/3xx responses as wrk counts them. */
  non2xx: number;
  /**
   * Connect, write and timeout errors. Read errors are left out: a proxy that closes the client
   * connection after each response (tinyproxy does) shows one per request though nothing failed.
   */
  errors: number;
}

const CONNECTIONS = 50;

export async function wrk(
  workDir: string,
  proxyPort: number,
  targetUrl: string | null,
  seconds: number,
): Promise<WrkResult> {
  const args = ['-t', '1', '-c', String(CONNECTIONS), '-d', `${seconds}s`, '--timeout', '5s'];
  if (targetUrl !== null) {
    const script = path.join(workDir, `wrk-${Buffer.from(targetUrl).toString('hex').slice(0, 40)}.lua`);
    const host = new URL(targetUrl).host;
    writeFileSync(
      script,
      `local req
init = function(args)
  wrk.headers["Host"] = "${host}"
  req = wrk.format("GET", "${targetUrl}")
end
request = function() return req end
`,
    );
    args.push('-s', script);
  }
  args.push(`http://127.0.0.1:${proxyPort}/`);
  const res = await run('wrk', args, (seconds + 20) * 1000);
  const out = res.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  if (Number.isNaN(rps)) throw new Error(`wrk failed (exit ${res.code}): ${res.stderr}${out}`);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps,
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    errors: errs ? Number(errs[1]) + Number(errs[3]) + Number(errs[4]) : 0,
  };
}
