// Runs the real Prometheus (Debian package) on loopback with a temporary config and data directory,
// scraping one target every second, and queries its HTTP API. Stopped by PID; the directory removed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { freeTcpPort } from '../helpers/ports.ts';

export interface RunningPrometheus {
  readonly url: string;
  readonly proc: ChildProcess;
  /** Instant query; resolves with the result vector (or the error Prometheus gave). */
  query(expr: string): Promise<PromResult>;
  rules(): Promise<{ name: string; health: string; lastError?: string }[]>;
  stop(): Promise<void>;
}

export interface PromResult {
  readonly status: string;
  readonly error?: string;
  readonly result: { metric: Record<string, string>; value: [number, string] }[];
}

export async function startPrometheus(target: string, ruleFiles: string[] = []): Promise<RunningPrometheus> {
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-prom-'));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' },
    rule_files: ruleFiles,
    scrape_configs: [{ job_name: 'banwall', static_configs: [{ targets: [target] }] }],
  };
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, stringify(config));
  const port = await freeTcpPort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const proc = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (c: Buffer) => (log += String(c)));
  proc.stderr!.on('data', (c: Buffer) => (log += String(c)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited: ${log}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready after 20 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    proc,
    stop,
    query: async (expr) => {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { result: PromResult['result'] };
      };
      return { status: body.status, error: body.error, result: body.data?.result ?? [] };
    },
    rules: async () => {
      const body = (await (await fetch(`${url}/api/v1/rules`)).json()) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      return body.data.groups.flatMap((g) => g.rules);
    },
  };
}
