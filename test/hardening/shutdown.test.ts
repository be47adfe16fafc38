// SIGTERM drains in-flight work and exits 0 within dns.shutdownGrace; file descriptors stay bounded
// while thousands of distinct names go upstream (one shared upstream socket, not one per query).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { startBanwall, testConfig } from '../helpers/banwall.ts';
import { rcodeOf, tcpExchange, udpExchange } from '../helpers/dns-client.ts';
import { queryPacket } from '../helpers/dns-query.ts';

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

void describe('shutdown and resource bounds', () => {
  void it('SIGTERM answers queries in flight, then exits 0', async () => {
    const up = await startFakeUpstream({ zone: { 'slow.test': [{ type: 'A', data: '192.0.2.7' }] } });
    up.delayMs = 700;
    const dir = await mkdtemp(path.join(tmpdir(), 'banwall-shutdown-'));
    await writeFile(path.join(dir, 'wechat.txt'), 'weixin.qq.com\n');
    const bw = await startBanwall(
      testConfig([up.url], {
        dns: { shutdownGrace: '3s' },
        lists: [{ name: 'wechat', app: 'wechat', category: 'core', source: 'wechat.txt' }],
      }),
      { dir },
    );
    try {
      // A block first: the event store's writer thread is running and has a row to commit at exit.
      const blocked = await udpExchange(bw.dnsPort, queryPacket('weixin.qq.com', 1, { id: 3 }));
      assert.equal(blocked === null ? -1 : rcodeOf(blocked), 3);
      const udp = udpExchange(bw.dnsPort, queryPacket('slow.test', 1, { id: 1 }), { timeoutMs: 3000 });
      const tcp = tcpExchange(bw.dnsPort, queryPacket('slow.test', 1, { id: 2 }), { timeoutMs: 3000 });
      await new Promise((r) => setTimeout(r, 200)); // both are now waiting on the upstream
      const started = performance.now();
      const exit = bw.stop('SIGTERM');
      const [u, t] = await Promise.all([udp, tcp]);
      assert.ok(
        u !== null && rcodeOf(u) === 0 && u.readUInt16BE(6) === 1,
        'the UDP query in flight is answered',
      );
      assert.ok(
        t !== null && rcodeOf(t) === 0 && t.readUInt16BE(6) === 1,
        'the TCP query in flight is answered',
      );
      assert.equal(await exit, 0);
      assert.ok(performance.now() - started < 3000, 'within the grace period');
    } finally {
      await bw.stop();
      await up.close();
    }
  });

  void it('SIGTERM exits 0 at the end of the grace period when an upstream never answers', async () => {
    const up = await startFakeUpstream({ zone: {} });
    up.mode = 'silent';
    const bw = await startBanwall(testConfig([up.url], { dns: { shutdownGrace: '1s', timeout: '10s' } }));
    try {
      void udpExchange(bw.dnsPort, queryPacket('never.test', 1), { timeoutMs: 3000 });
      await new Promise((r) => setTimeout(r, 200));
      const started = performance.now();
      assert.equal(await bw.stop('SIGTERM'), 0);
      const ms = performance.now() - started;
      assert.ok(ms < 2500, `exited ${ms.toFixed(0)} ms after SIGTERM with a 1 s grace`);
    } finally {
      await bw.stop();
      await up.close();
    }
  });

  void it('keeps file descriptors bounded while 3,000 distinct names go upstream', async () => {
    const zone = Object.fromEntries(
      Array.from({ length: 3000 }, (_, i) => [`d${i}.test`, [{ type: 'A' as const, data: '192.0.2.1' }]]),
    );
    const up = await startFakeUpstream({ zone });
    const bw = await startBanwall(testConfig([up.url]));
    try {
      const before = fds(bw.proc.pid!);
      let peak = before;
      for (let i = 0; i < 3000; i += 100) {
        const replies = await Promise.all(
          Array.from({ length: 100 }, (_, k) =>
            udpExchange(bw.dnsPort, queryPacket(`d${i + k}.test`, 1, { id: k })),
          ),
        );
        assert.ok(replies.every((r) => r !== null && rcodeOf(r) === 0));
        peak = Math.max(peak, fds(bw.proc.pid!));
      }
      assert.ok(peak <= before + 10, `fds ${before} → peak ${peak}: upstream queries share sockets`);
    } finally {
      await bw.stop();
      await up.close();
    }
  });
});
