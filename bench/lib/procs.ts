// Every process the benchmark starts goes through here, so that every one of them is stopped, by
// its PID, on success, on error and on Ctrl-C. Each child leads its own process group (detached),
// so a server that forks helpers (banwall workers, squid kids) is stopped with them.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface Started {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<string>;
}

const running = new Map<number, Started>();

/** Starts `cmd` with stdout+stderr appended to `logFile`. */
export function start(
  name: string,
  cmd: string,
  args: string[],
  logFile: string,
  opts: SpawnOptions = {},
): Started {
  const fd = openSync(logFile, 'a');
  const proc = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (proc.pid === undefined) throw new Error(`cannot start ${name}: ${cmd}`);
  const pid = proc.pid;
  const exited = new Promise<string>((resolve) => {
    proc.on('exit', (code, signal) => {
      running.delete(pid);
      resolve(signal ?? String(code));
    });
    proc.on('error', (err) => {
      running.delete(pid);
      resolve(`error: ${err.message}`);
    });
  });
  const s: Started = { name, proc, pid, exited };
  running.set(pid, s);
  return s;
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export async function stop(s: Started, graceMs = 3000): Promise<void> {
  if (!running.has(s.pid)) return;
  signalGroup(s.pid, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(s.pid, 'SIGKILL'), graceMs);
  await s.exited;
  clearTimeout(timer);
  // The leader is gone; make sure no helper of its group lingers.
  signalGroup(s.pid, 'SIGKILL');
}

/** Synchronous last resort for exit paths: SIGKILL every group still running. */
export function killAllNow(): void {
  for (const pid of running.keys()) signalGroup(pid, 'SIGKILL');
  running.clear();
}

export function stillRunning(): string[] {
  return [...running.values()].map((s) => `${s.name} (${s.pid})`);
}

let installed = false;

/** Stops every started process on exit, Ctrl-C, SIGTERM and uncaught errors. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping ${stillRunning().join(', ') || 'nothing'}\n`);
      killAllNow();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err.stack ?? String(err)}\n`);
    killAllNow();
    process.exit(1);
  });
}

/** Runs a command to completion (bounded by `timeoutMs`), capturing its output. */
export function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
  opts: SpawnOptions = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (proc.pid === undefined) {
      reject(new Error(`cannot run ${cmd}`));
      return;
    }
    const pid = proc.pid;
    const s: Started = { name: cmd, proc, pid, exited: Promise.resolve('') };
    running.set(pid, s);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    proc.stdout?.on('data', (d: Buffer) => out.push(d));
    proc.stderr?.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), timeoutMs);
    proc.on('error', (e) => {
      clearTimeout(timer);
      running.delete(pid);
      reject(e);
    });
    proc.on('close', (code) => {
      clearTimeout(timer);
      running.delete(pid);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/**
 * Starts a server and waits until `ready` resolves (given a liveness check and the spawn time);
 * on any failure the process is stopped before the error propagates, so nothing is left behind.
 */
export async function startReady<T>(
  name: string,
  cmd: string,
  args: string[],
  logFile: string,
  ready: (alive: () => boolean, t0: number) => Promise<T>,
  opts: SpawnOptions = {},
): Promise<{ proc: Started; ready: T }> {
  const t0 = performance.now();
  const proc = start(name, cmd, args, logFile, opts);
  let alive = true;
  void proc.exited.then(() => (alive = false));
  try {
    return { proc, ready: await ready(() => alive, t0) };
  } catch (err) {
    await stop(proc);
    throw err;
  }
}
