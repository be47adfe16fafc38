// Slow and idle clients: 1,000 idle TCP connections to the DNS port and 1,000 to the proxy do not stop
// service to others; idle timeouts close them; one address cannot hold more than its per-client cap.
import { describe, before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { startBanwall, testConfig, type RunningBanwall } from '../helpers/banwall.ts';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';

const run = promisify(execFile);
const IDLE = 1000;
const SOURCES = 20; // 50 connections per source address: under the per-client cap of 64
const PER_CLIENT = 64;

interface Held {
  sockets: net.Socket[];
  /** How many the server closed (or refused) so far. */
  closed(): number;
  destroy(): void;
}

/** Opens `n` idle connections to `port`, spread over `sources` loopback addresses from 127.0.1.1. */
async function holdIdle(port: number, n: number, sources: number, base = '127.0.1.'): Promise<Held> {
  const sockets: net.Socket[] = [];
  let closed = 0;
  for (let i = 0; i < n; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, (_, k) => {
        const idx = i + k;
        return new Promise<void>((resolve) => {
          const s = net.connect({ port, host: '127.0.0.1', localAddress: `${base}${1 + (idx % sources)}` });
          sockets.push(s);
          s.on('error', () => {});
          s.resume(); // read what the server sends, so its FIN is seen
          s.once('close', () => {
            closed++;
            resolve();
          });
          s.once('connect', () => resolve());
        });
      }),
    );
  }
  return { sockets, closed: () => closed, destroy: () => sockets.forEach((s) => s.destroy()) };
}

/**
 * Waits until banwall holds at least `want` descriptors: a client's connect completes before the
 * server has accepted it (the backlog), so counting at once would count too few.
 */
async function assertHeld(pid: number, want: number, before: number): Promise<void> {
  const end = Date.now() + 5000;
  let held = await fdCount(pid);
  while (held < want && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    held = await fdCount(pid);
  }
  assert.ok(held >= want, `held ${held} fds (before ${before})`);
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/** The soft open-files limit of this process: the test holds ~1,100 sockets at once, banwall as many. */
function openFilesLimit(): number {
  const line = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return line === null || line[1] === 'unlimited' ? Infinity : Number(line[1]);
}
const FD_SKIP =
  openFilesLimit() < 2 * IDLE + 500
    ? `open-files limit ${openFilesLimit()} is too low (ulimit -n 4096)`
    : false;

async function fdCount(pid: number): Promise<number> {
  const { stdout } = await run('ls', [`/proc/${pid}/fd`]);
  return stdout.split('\n').filter(Boolean).length;
}

void describe('idle and slow clients', { skip: FD_SKIP || NO_DIG_KDIG }, () => {
  let up: FakeUpstream;
  let bw: RunningBanwall;
  let origin: http.Server;
  let originPort: number;
  before(async () => {
    up = await startFakeUpstream({ zone: { 'a.test': [{ type: 'A', data: '192.0.2.1' }] } });
    origin = http.createServer((_req, res) => res.end('origin ok\n'));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
    originPort = (origin.address() as AddressInfo).port;
    bw = await startBanwall(
      testConfig([up.url], {
        dns: { tcp: { idleTimeout: '4s', maxConnectionsPerClient: PER_CLIENT } },
        proxy: {
          listen: ['127.0.0.1:0'],
          deniedTargets: [],
          allowInternal: ['127.0.0.0/8'], // the origin is on this host's loopback
          maxConnectionsPerClient: PER_CLIENT,
          timeouts: { idle: '4s', headers: '4s' },
        },
      }),
    );
  });
  after(async () => {
    await bw.stop();
    await up.close();
    origin.closeAllConnections();
    await new Promise<void>((r) => origin.close(() => r()));
  });

  // At dns.tcp.maxConnections (1,000 here) the idlest connection makes room for a new client.
  void it('DNS: serves others over TCP and UDP while 1,000 idle connections are held, then idle-closes them', async () => {
    const fdsBefore = await fdCount(bw.proc.pid!);
    const idle = await holdIdle(bw.dnsPort, IDLE, SOURCES, '127.0.1.');
    try {
      assert.ok(idle.closed() < 50, `accepted ${IDLE - idle.closed()}`);
      await assertHeld(bw.proc.pid!, fdsBefore + IDLE - 50, fdsBefore);
      const udp = await dig(bw.dnsPort, 'a.test', 'A', ['-b', '127.0.0.99']);
      assert.equal(udp.answers[0]?.data, '192.0.2.1', 'DNS over UDP still served');
      const tcp = await dig(bw.dnsPort, 'a.test', 'A', ['+tcp', '-b', '127.0.0.99']).catch((e: Error) => e);
      assert.ok(!(tcp instanceof Error) && tcp.answers[0]?.data === '192.0.2.1', 'DNS over TCP still served');
    } finally {
      // Idle timeout (4 s) closes every idle connection, and the descriptors are given back.
      assert.ok(await waitFor(() => idle.closed() === IDLE, 8000), `DNS idle closed: ${idle.closed()}`);
      assert.ok((await fdCount(bw.proc.pid!)) <= fdsBefore + 20, 'fds given back');
      idle.destroy();
    }
  });

  void it('proxy: serves others while 1,000 idle connections are held, then idle-closes them', async () => {
    const fdsBefore = await fdCount(bw.proc.pid!);
    const idle = await holdIdle(bw.proxyPort!, IDLE, SOURCES, '127.0.2.');
    try {
      assert.ok(idle.closed() < 50, `accepted ${IDLE - idle.closed()}`);
      await assertHeld(bw.proc.pid!, fdsBefore + IDLE - 50, fdsBefore);
      const { stdout } = await run('curl', [
        '-sS',
        '--max-time',
        '5',
        '--interface',
        '127.0.0.99',
        '-x',
        `http://127.0.0.1:${bw.proxyPort}`,
        `http://127.0.0.1:${originPort}/`,
      ]);
      assert.equal(stdout, 'origin ok\n', 'proxy still served');
      const udp = await dig(bw.dnsPort, 'a.test', 'A', ['-b', '127.0.0.99']);
      assert.equal(udp.answers[0]?.data, '192.0.2.1', 'DNS still served');
      assert.ok(await waitFor(() => idle.closed() === IDLE, 8000), `proxy idle closed: ${idle.closed()}`);
      const fdsAfter = await fdCount(bw.proc.pid!);
      assert.ok(fdsAfter <= fdsBefore + 20, `fds back to ${fdsAfter} (before ${fdsBefore})`);
    } finally {
      idle.destroy();
    }
  });
});

void describe('per-client connection caps', { skip: NO_DIG_KDIG }, () => {
  let up: FakeUpstream;
  let bw: RunningBanwall;
  before(async () => {
    up = await startFakeUpstream({ zone: { 'a.test': [{ type: 'A', data: '192.0.2.1' }] } });
    // Long idle timeouts: only the cap may close a connection here.
    bw = await startBanwall(
      testConfig([up.url], {
        dns: { tcp: { idleTimeout: '30s', maxConnectionsPerClient: PER_CLIENT } },
        proxy: {
          listen: ['127.0.0.1:0'],
          maxConnectionsPerClient: PER_CLIENT,
          timeouts: { idle: '30s', headers: '30s' },
        },
      }),
    );
  });
  after(async () => {
    await bw.stop();
    await up.close();
  });

  void it('caps connections per client address on the DNS port and on the proxy', async () => {
    for (const port of [bw.dnsPort, bw.proxyPort!]) {
      const held = await holdIdle(port, 100, 1, '127.0.3.');
      try {
        assert.ok(
          await waitFor(() => held.closed() >= 100 - PER_CLIENT, 4000),
          `port ${port}: ${held.closed()} of 100 closed, cap ${PER_CLIENT}`,
        );
        assert.ok(
          held.closed() < 100 - PER_CLIENT + 5,
          `the first ${PER_CLIENT} stay open (${held.closed()} closed)`,
        );
        const other = await dig(bw.dnsPort, 'a.test', 'A', ['+tcp', '-b', '127.0.0.98']);
        assert.equal(other.status, 'NOERROR', 'another address is not affected');
      } finally {
        held.destroy();
      }
    }
  });
});
