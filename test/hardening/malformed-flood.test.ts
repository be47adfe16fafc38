// 100,000 random and mutated packets over UDP and TCP (bit flips, truncations, lying length and count
// fields, compression loops, random bytes), then correct answers: nothing a client sends crashes
// banwall or wedges a front end.
import { describe, before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { startBanwall, testConfig, type RunningBanwall } from '../helpers/banwall.ts';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';
import { mutate, rng } from './mutate.ts';
import { metric } from '../helpers/dns-client.ts';

const UDP_PACKETS = 80_000;
const TCP_PACKETS = 20_000;
const TCP_CONNECTIONS = 20;

async function floodUdp(port: number, r: () => number): Promise<void> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', () => {});
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', () => res()));
  for (let sent = 0; sent < UDP_PACKETS;) {
    // Bursts of 200, then yield: the kernel buffers stay within reach and the test stays bounded.
    const batch = [];
    for (let i = 0; i < 200 && sent < UDP_PACKETS; i++, sent++) {
      const p = mutate(r);
      batch.push(new Promise<void>((res) => sock.send(p, port, '127.0.0.1', () => res())));
    }
    await Promise.all(batch);
  }
  await new Promise<void>((res) => sock.close(() => res()));
}

async function floodTcp(port: number, r: () => number): Promise<void> {
  const per = TCP_PACKETS / TCP_CONNECTIONS;
  await Promise.all(
    Array.from({ length: TCP_CONNECTIONS }, (_, c) => {
      return new Promise<void>((resolve) => {
        const sock = net.connect(port, '127.0.0.1');
        sock.on('data', () => {});
        sock.on('error', () => resolve());
        sock.on('close', () => resolve());
        sock.on('connect', () => {
          const frames: Buffer[] = [];
          for (let i = 0; i < per; i++) {
            const p = mutate(r);
            const len = Buffer.alloc(2);
            len.writeUInt16BE(p.length);
            frames.push(len, p);
          }
          // Some connections end with a length prefix that lies (more bytes promised than sent).
          if (c % 4 === 0) frames.push(Buffer.from([0xff, 0xff, 1, 2, 3]));
          sock.end(Buffer.concat(frames));
          setTimeout(() => sock.destroy(), 2000).unref();
        });
      });
    }),
  );
}

void describe('malformed packet flood', { skip: NO_DIG_KDIG }, () => {
  let up: FakeUpstream;
  let bw: RunningBanwall;
  before(async () => {
    up = await startFakeUpstream({
      zone: {
        'a.test': [{ type: 'A', data: '192.0.2.1' }],
        'b.test': [{ type: 'AAAA', data: '2001:db8::b' }],
      },
    });
    bw = await startBanwall(testConfig([up.url], { dns: { timeout: '500ms' } }));
  });
  after(async () => {
    await bw.stop();
    await up.close();
  });

  void it('survives 100,000 random and mutated packets over UDP and TCP and answers correctly after', async () => {
    const started = performance.now();
    await Promise.all([floodUdp(bw.dnsPort, rng(0xdecaf)), floodTcp(bw.dnsPort, rng(0xbad))]);
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 20, `flood bounded in time (${seconds.toFixed(1)} s)`);
    assert.equal(bw.proc.exitCode, null, 'banwall still running');
    const udp = await dig(bw.dnsPort, 'a.test');
    assert.equal(udp.status, 'NOERROR');
    assert.equal(udp.answers[0]?.data, '192.0.2.1');
    const tcp = await dig(bw.dnsPort, 'b.test', 'AAAA', ['+tcp']);
    assert.equal(tcp.answers[0]?.data, '2001:db8::b');
    const formerr = await metric(bw.httpPort!, 'banwall_dns_queries_total', { result: 'formerr' });
    assert.ok((formerr ?? 0) > 1000, `the flood reached the parser (${formerr} FORMERR)`);
    const crashes = bw.logs.filter((l) => /uncaught|unhandled/i.test(String(l.msg)));
    assert.deepEqual(crashes, []);
  });
});
