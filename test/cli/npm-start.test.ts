// `npm start` signalled by npm's PID, as an operator (or a supervisor that knows only npm's PID) does:
// SIGTERM and SIGINT drain banwall and npm exits with banwall's code 0; SIGKILL and SIGHUP end npm
// without a word to its child, and banwall must still stop within seconds instead of living on,
// orphaned, with its ports bound. Also the --pid-file contract.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import dgram from 'node:dgram';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { CLI, ROOT, testConfig } from '../helpers/banwall.ts';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';

const PATH = `${path.join(ROOT, 'node_modules/.bin')}${path.delimiter}${process.env.PATH ?? ''}`;
const npmMissing = spawnSync('npm', ['--version'], { env: { ...process.env, PATH } }).status !== 0;

interface Started {
  readonly proc: ChildProcess;
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  readonly pidFile: string;
  /** banwall's PID, from the PID file. */
  readonly pid: number;
  readonly dnsPort: number;
  stderr(): string;
}

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `command args...` in ROOT with Node 24 first on PATH; resolves once banwall wrote its PID file. */
async function start(dir: string, command: string, args: string[], upstream: string): Promise<Started> {
  const configFile = path.join(dir, 'banwall.yaml');
  await writeFile(configFile, stringify(testConfig([upstream])));
  const pidFile = path.join(dir, 'banwall.pid');
  const proc = spawn(command, [...args, '--config', configFile, '--pid-file', pidFile], {
    cwd: ROOT,
    env: { ...process.env, PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let pending = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  // A file left by an earlier run may be there already: wait for one that names a new process.
  const written = () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== STALE_PID;
  await waitFor(`the PID file (stderr: ${stderr})`, () => written() || proc.exitCode !== null, 20_000);
  assert.equal(proc.exitCode, null, stderr);
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  // The log line is written asynchronously (pino) and the PID file synchronously after it: the line
  // may reach the pipe a moment after the file exists, but it must exist already (logged first).
  await waitFor(
    "the 'banwall started' line",
    () => logs.some((l) => l.msg === 'banwall started'),
    5000,
  ).catch(() => {});
  const started = logs.find((l) => l.msg === 'banwall started');
  if (!started) {
    // Leave nothing running behind a failed start: npm and banwall both.
    proc.kill('SIGKILL');
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  assert.ok(started, 'the PID file is written after the listeners are bound');
  const dnsPort = (started.dns as { port: number }[])[0].port;
  return { proc, logs, exited, pidFile, pid, dnsPort, stderr: () => stderr };
}

/** Whether TCP and UDP `port` on loopback can be bound again (banwall let go of it). */
async function portFree(port: number): Promise<boolean> {
  const tcp = net.createServer();
  const tcpOk = await new Promise<boolean>((resolve) => {
    tcp.once('error', () => resolve(false));
    tcp.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(true));
  });
  if (tcpOk) await new Promise<void>((r) => tcp.close(() => r()));
  const udp = dgram.createSocket('udp4');
  const udpOk = await new Promise<boolean>((resolve) => {
    udp.once('error', () => resolve(false));
    udp.bind({ address: '127.0.0.1', port, exclusive: true }, () => resolve(true));
  });
  if (udpOk) await new Promise<void>((r) => udp.close(() => r()));
  return tcpOk && udpOk;
}

/** No process has this PID (above Linux's pid_max). */
const STALE_PID = '4194304';

const NPM_START = ['start', '--silent', '--'];

void describe("npm start, signalled by npm's PID", { skip: npmMissing && 'npm is not on PATH' }, () => {
  let up: FakeUpstream;
  let dir: string;
  const strays: number[] = [];
  before(async () => {
    up = await startFakeUpstream();
    dir = await mkdtemp(path.join(tmpdir(), 'banwall-npm-'));
  });
  after(async () => {
    for (const pid of strays) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await up.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    void it(`${signal} to npm: banwall drains, exits 0 (npm's code), frees its port, removes its PID file`, async () => {
      const s = await start(dir, 'npm', NPM_START, up.url);
      strays.push(s.pid);
      assert.notEqual(s.pid, s.proc.pid, 'banwall is its own process under npm');
      s.proc.kill(signal);
      assert.equal(await s.exited, 0, `npm reports banwall's exit code; stderr: ${s.stderr()}`);
      assert.ok(!alive(s.pid), 'banwall has exited when npm has');
      assert.ok(
        s.logs.some((l) => l.msg === 'stopped'),
        'banwall drained',
      );
      assert.ok(!existsSync(s.pidFile), 'the PID file is removed on exit');
      assert.ok(await portFree(s.dnsPort), 'the DNS port is free again');
    });
  }

  for (const signal of ['SIGKILL', 'SIGHUP'] as const) {
    void it(`${signal} to npm (not forwarded): banwall stops within seconds, never outliving npm`, async () => {
      const s = await start(dir, 'npm', NPM_START, up.url);
      strays.push(s.pid);
      s.proc.kill(signal);
      await s.exited;
      // A 0.5 s poll and the drain, with room for a loaded machine.
      await waitFor('banwall to exit after its parent', () => !alive(s.pid), 8000);
      assert.ok(
        s.logs.some((l) => l.msg === 'the process that started banwall exited; stopping'),
        JSON.stringify(s.logs.slice(-5)),
      );
      assert.ok(
        s.logs.some((l) => l.msg === 'stopped'),
        'banwall drained rather than died',
      );
      assert.ok(await portFree(s.dnsPort), 'the DNS port is free again');
    });
  }
});

void describe('serve --pid-file', () => {
  void it('refuses to start while the file names a running banwall; ignores a stale file', async () => {
    const up = await startFakeUpstream();
    const dir = await mkdtemp(path.join(tmpdir(), 'banwall-pid-'));
    try {
      // A stale file (a PID no process has) is overwritten.
      await writeFile(path.join(dir, 'banwall.pid'), `${STALE_PID}\n`);
      const s = await start(dir, process.execPath, [CLI, 'serve'], up.url);
      assert.equal(s.pid, s.proc.pid);
      const second = spawnSync(
        process.execPath,
        [CLI, 'serve', '--config', path.join(dir, 'banwall.yaml'), '--pid-file', s.pidFile],
        { cwd: ROOT, encoding: 'utf8', timeout: 20_000 },
      );
      assert.equal(second.status, 2, second.stderr);
      assert.match(second.stderr, /refusing to start: the PID file .* names process \d+, which is running/);
      assert.equal(
        Number((await readFile(s.pidFile, 'utf8')).trim()),
        s.pid,
        'the file still names the first',
      );
      s.proc.kill('SIGTERM');
      assert.equal(await s.exited, 0);
      assert.ok(!existsSync(s.pidFile));
    } finally {
      await up.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
