// Differential test of issue 12.1: for 1,000 generated encodings of paths, the path banwall's URL
// rules judge (parseHttpTarget(url).policyPath) must be the path a real nginx resolves for the request
// the proxy forwards (originForm). nginx runs on loopback with `return 200 $uri;`, from a generated
// config in a temp directory (daemon off, pid in the temp directory), stopped by its PID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseHttpTarget } from '../../src/proxy/target.ts';
import { hasTool } from '../helpers/tools.ts';
import { freeTcpPort } from '../helpers/ports.ts';

const COUNT = 1000;

function nginxBinary(): string | null {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    if (hasTool(candidate)) return candidate;
  }
  return null;
}

/** mulberry32: a small seeded generator, so a failure names an input that can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORD = "abcwxyz019-_~.;=+!$&'()*,:@é\\?#";

/**
 * A path of words, `.` and `..` segments (never above the root: nginx answers 400 there) joined by
 * separators (`/`, `//`, `%2F`, `%2f`), with characters percent-encoded at random (upper and lower
 * case hex, UTF-8 for `é`). `\\`, `?` and `#` are always encoded, as a client must send them.
 */
function generate(next: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  let out = '';
  let depth = 0;
  const segments = 1 + Math.floor(next() * 6);
  for (let s = 0; s < segments; s++) {
    // The first separator is a real `/`: the path starts there.
    out += s === 0 ? pick(['/', '//', '/%2F']) : pick(['/', '/', '/', '//', '%2F', '%2f', '/%2F']);
    const kind = next();
    let seg: string;
    if (kind < 0.15) seg = '.';
    else if (kind < 0.3 && depth > 0) {
      seg = '..';
      depth--;
    } else {
      seg = '';
      const len = 1 + Math.floor(next() * 6);
      for (let i = 0; i < len; i++) seg += pick([...WORD]);
      if (seg === '.' || seg === '..') seg += 'x';
      depth++;
    }
    for (const ch of seg) {
      const forced = ch === '\\' || ch === '?' || ch === '#' || ch === 'é';
      if (forced || next() < 0.3) {
        for (const byte of Buffer.from(ch, 'utf8')) {
          const hex = byte.toString(16).padStart(2, '0');
          out += '%' + (next() < 0.5 ? hex.toUpperCase() : hex);
        }
      } else out += ch;
    }
  }
  if (next() < 0.2) out += '/';
  return out;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function get(agent: http.Agent, port: number, p: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('nginx timed out')));
    req.on('error', reject);
  });
}

void test(
  'banwall judges the path nginx serves, for 1,000 generated encodings',
  { timeout: 60_000 },
  async (t) => {
    const nginx = nginxBinary();
    if (nginx === null) return t.skip('nginx not installed (Debian package nginx-light)');
    const dir = await mkdtemp(path.join(tmpdir(), 'banwall-nginx-'));
    const port = await freeTcpPort();
    await writeFile(
      path.join(dir, 'nginx.conf'),
      `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    merge_slashes on;
    location / { default_type application/octet-stream; return 200 $uri; }
  }
}
`,
    );
    const proc = spawn(
      nginx,
      ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')],
      {
        stdio: 'ignore',
      },
    );
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      await waitForPort(port, 5000);
      const next = rng(0x12_01);
      let compared = 0;
      let refused = 0;
      const mismatches: string[] = [];
      for (let i = 0; i < COUNT; i++) {
        const raw = generate(next);
        const target = parseHttpTarget(`http://origin.test${raw}`);
        assert.ok(target !== null, raw);
        const forwarded = target.originForm;
        const served = await get(agent, port, forwarded);
        if (served.status === 400) {
          refused++;
          continue;
        }
        assert.equal(served.status, 200, forwarded);
        compared++;
        const judged = target.policyPath === null ? null : Buffer.from(target.policyPath, 'utf8');
        if (judged === null || !judged.equals(served.body)) {
          mismatches.push(
            `${raw} → forwarded ${forwarded}: nginx ${served.body.toString('latin1')}, banwall ${target.policyPath}`,
          );
        }
      }
      t.diagnostic(`${compared} paths compared, ${refused} refused by nginx, ${mismatches.length} differ`);
      assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} of ${compared} paths differ`);
      // nginx answers 400 only to what it cannot resolve (a `..` above the root after decoding).
      assert.ok(compared >= COUNT * 0.9, `compared ${compared}, nginx refused ${refused}`);
    } finally {
      agent.destroy();
      if (proc.pid !== undefined && proc.exitCode === null) process.kill(proc.pid, 'SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    }
  },
);
