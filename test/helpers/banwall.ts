// Starts a real banwall process (`node bin/banwall.js serve`, as `npm start` does) on loopback with a config written for the
// test, and reads the bound addresses from its 'banwall started' log line.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'bin/banwall.js');

export interface RunningBanwall {
  readonly proc: ChildProcess;
  readonly dir: string;
  readonly configFile: string;
  /** UDP and TCP share this port. */
  readonly dnsPort: number;
  readonly proxyPort: number | undefined;
  readonly httpPort: number | undefined;
  /** Every JSON log line so far. */
  readonly logs: Record<string, unknown>[];
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /**
   * Sends SIGHUP and resolves with the log line of the reload it caused ('policy reloaded' or
   * 'reload rejected…', reason SIGHUP). Not any reload line: the config watcher reloads too, and its
   * line (for an earlier edit, read before this one) would let a test go on under the old policy.
   */
  sighup(): Promise<Record<string, unknown>>;
}

/** A config with loopback listeners on free ports; `overrides` are merged at the top level. */
export function testConfig(
  upstreams: string[],
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const { dns, ...rest } = overrides as { dns?: Record<string, unknown> };
  return {
    log: { level: 'info' },
    dns: { listen: ['127.0.0.1:0'], upstreams, ...dns },
    http: { listen: ['127.0.0.1:0'] },
    queryLog: { enabled: false },
    ...rest,
  };
}

export async function startBanwall(
  config: Record<string, unknown>,
  opts: {
    dir?: string;
    env?: Record<string, string>;
    timeoutMs?: number;
    /** Another installation's cli.ts (the deployment test runs an installed copy); cwd is its root. */
    cli?: string;
  } = {},
): Promise<RunningBanwall> {
  const dir = opts.dir ?? (await mkdtemp(path.join(tmpdir(), 'banwall-test-')));
  const configFile = path.join(dir, 'banwall.yaml');
  await writeFile(configFile, stringify(config));
  const cli = opts.cli ?? CLI;
  const proc = spawn(process.execPath, [cli, 'serve', '--config', configFile], {
    cwd: path.resolve(path.dirname(cli), '..'),
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: {
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  let stderr = '';
  let pending = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      logs.push(obj);
      for (const w of [...waiters]) {
        if (w.match(obj)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(obj);
        }
      }
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));

  const waitForLog = (match: (l: Record<string, unknown>) => boolean, timeoutMs = 10_000) => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(`timed out waiting for a log line; stderr: ${stderr}\nlogs: ${JSON.stringify(logs)}`),
          ),
        timeoutMs,
      );
      const w = {
        match,
        resolve: (l: Record<string, unknown>) => {
          clearTimeout(t);
          resolve(l);
        },
      };
      waiters.push(w);
      void exited.then((code) => {
        clearTimeout(t);
        reject(
          new Error(
            `banwall exited with ${code} before the log line; stderr: ${stderr}\nlogs: ${JSON.stringify(logs)}`,
          ),
        );
      });
    });
  };

  let started: Record<string, unknown>;
  try {
    started = await waitForLog((l) => l.msg === 'banwall started', opts.timeoutMs ?? 15_000);
  } catch (err) {
    // A banwall that never said it started must not outlive the test: the file would never exit.
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    throw err;
  }
  const dnsAddrs = started.dns as { port: number }[];
  const proxy = started.proxy as { port: number }[] | undefined;
  const http = started.http as { port: number }[] | undefined;
  return {
    proc,
    dir,
    configFile,
    dnsPort: dnsAddrs[0].port,
    proxyPort: proxy?.[0]?.port,
    httpPort: http?.[0]?.port,
    logs,
    waitForLog,
    sighup: () => {
      const seen = logs.length;
      proc.kill('SIGHUP');
      return waitForLog(
        (l) =>
          String(l.reason).split(' + ').includes('SIGHUP') && // a queued reload names every reason
          typeof l.msg === 'string' &&
          /^(policy reloaded|reload rejected)/.test(l.msg) &&
          logs.indexOf(l) >= seen,
      );
    },
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
