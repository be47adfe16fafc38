// dns.batchedIo: the recvmmsg/sendmmsg addon against a real banwall process (dig, kdig, raw packets):
// UDP answers (cache misses through an upstream and hits), truncation, IPv6, client-address policy
// (the ACL must see the same address text as on node:dgram), /api/status; and the fallback to
// node:dgram when the addon is absent (BANWALL_NO_NATIVE=1), including `on` refusing to start; and
// upstream UDP (cache misses) through the addon.
import { describe, before, after, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream/dns.ts';
import { startBanwall, testConfig, type RunningBanwall } from '../../helpers/banwall.ts';
import { dig, parseDig, NO_DIG_KDIG } from '../../helpers/dig.ts';
import { udpExchange } from '../../helpers/dns-client.ts';
import { queryPacket } from '../../helpers/dns-query.ts';
import { loadBatchedUdp, useBatchedUpstream } from '../../../src/net/batched-udp-addon.ts';
import { parsedQuery } from '../../helpers/dns-query.ts';
import { decode, resolve, resolver } from '../upstream/upstream-helpers.ts';
import { ipv6Text, sockaddrText } from '../../../src/dns/server/batched-udp-address.ts';

const run = promisify(execFile);
const NO_ADDON =
  loadBatchedUdp() === null ? 'the batched UDP addon is not built (node native/build.ts)' : false;

const ZONE = {
  'a.test': [
    { type: 'A' as const, data: '192.0.2.1' },
    { type: 'AAAA' as const, data: '2001:db8::1' },
  ],
  // ~1.8 KB of TXT: over 512 without EDNS and over the 1232-byte cap.
  'big.test': Array.from({ length: 12 }, (_, i) => ({
    type: 'TXT' as const,
    data: `${i}-${'x'.repeat(140)}`,
  })),
};

/** The 16 bytes of an IPv6 address in text (full or with one `::`). */
function v6Bytes(text: string): Buffer {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const words = (s: string) => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const h = words(head);
  const t = tail === undefined ? [] : words(tail);
  const all = [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  const b = Buffer.alloc(16);
  all.forEach((w, i) => b.writeUInt16BE(w, 2 * i));
  return b;
}

void test('IPv6 client addresses read from a sockaddr match inet_ntop (what dgram reports)', () => {
  const cases: [string, string][] = [
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['fe80:0:0:0:abcd:0:0:12', 'fe80::abcd:0:0:12'],
    ['0:0:0:0:0:0:102:304', '::1.2.3.4'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ];
  for (const [full, expected] of cases) assert.equal(ipv6Text(v6Bytes(full), 0), expected, full);
  // sockaddr_in6: family 10 (host order), port, flowinfo, address; IPv4-mapped is unmapped as dgram's is.
  const sa = Buffer.alloc(32);
  sa.writeUInt16LE(10, 0);
  v6Bytes('0:0:0:0:0:ffff:c000:201').copy(sa, 8);
  assert.equal(sockaddrText(sa, 0), '192.0.2.1');
  const s4 = Buffer.alloc(32);
  s4.writeUInt16LE(2, 0);
  Buffer.from([127, 0, 0, 254]).copy(s4, 4);
  assert.equal(sockaddrText(s4, 0), '127.0.0.254');
  assert.equal(sockaddrText(s4, 0), '127.0.0.254', 'cached');
  s4[4] = 10; // same last three octets, another first one
  assert.equal(sockaddrText(s4, 0), '10.0.0.254');
});

void describe('dns.batchedIo: on', { skip: NO_DIG_KDIG || NO_ADDON }, () => {
  let up: FakeUpstream;
  let bw: RunningBanwall;
  before(async () => {
    up = await startFakeUpstream({ zone: ZONE });
    bw = await startBanwall(
      testConfig([up.url], {
        dns: {
          listen: ['127.0.0.1:0', '[::1]:0'],
          allowedClients: ['127.0.0.1/32', '::1/128'],
          batchedIo: 'on',
        },
      }),
    );
  });
  after(async () => {
    await bw.stop();
    await up.close();
  });

  void it('says so at start and in /api/status', async () => {
    const started = await bw.waitForLog((l) => l.msg === 'banwall started');
    assert.equal(started.dnsUdpIo, 'batched');
    const status = (await (await fetch(`http://127.0.0.1:${bw.httpPort}/api/status`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(status.dnsUdpIo, 'batched');
  });

  void it('answers over UDP: a miss through the upstream, then hits, NXDOMAIN; kdig too', async () => {
    const miss = await dig(bw.dnsPort, 'a.test', 'A');
    assert.equal(miss.status, 'NOERROR');
    assert.deepEqual(
      miss.answers.map((r) => r.data),
      ['192.0.2.1'],
    );
    assert.match(miss.raw, /\(UDP\)/);
    const hit = await dig(bw.dnsPort, 'a.test', 'A');
    assert.deepEqual(
      hit.answers.map((r) => r.data),
      ['192.0.2.1'],
    );
    assert.equal((await dig(bw.dnsPort, 'nothing.test', 'A')).status, 'NXDOMAIN');
    const k = await run('kdig', ['@127.0.0.1', '-p', String(bw.dnsPort), 'a.test', 'AAAA', '+timeout=3']);
    assert.match(k.stdout, /2001:db8::1/);
  });

  void it('many queries in flight at once are each answered to their own client port', async () => {
    const names = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 'a.test' : `n${i}.test`));
    const replies = await Promise.all(
      names.map((n, i) => udpExchange(bw.dnsPort, queryPacket(n, 1, { id: 1000 + i }))),
    );
    replies.forEach((r, i) => {
      assert.ok(r, `reply ${i}`);
      assert.equal(r.readUInt16BE(0), 1000 + i);
      assert.equal(r[3] & 0x0f, i % 2 === 0 ? 0 : 3);
    });
  });

  void it('truncates an answer too big for the client (TC); dig retries over TCP', async () => {
    const raw = await udpExchange(bw.dnsPort, queryPacket('big.test', 16));
    assert.ok(raw);
    assert.equal(raw[2] & 0x02, 0x02, 'TC');
    const d = await dig(bw.dnsPort, 'big.test', 'TXT', ['+noedns']);
    assert.match(d.raw, /Truncated, retrying in TCP mode/);
    assert.equal(d.answers.length, 12);
  });

  void it('IPv6: [::1] answers, and the ACL sees ::1', async () => {
    const started = await bw.waitForLog((l) => l.msg === 'banwall started');
    const v6 = (started.dns as { protocol: string; host: string; port: number }[]).find(
      (a) => a.protocol === 'udp' && a.host === '::1',
    );
    assert.ok(v6, 'a UDP listener on ::1');
    const out = await run('dig', ['@::1', '-p', String(v6.port), 'a.test', 'AAAA', '+tries=1', '+time=3']);
    const d = parseDig(out.stdout);
    assert.equal(d.status, 'NOERROR');
    assert.deepEqual(
      d.answers.map((r) => r.data),
      ['2001:db8::1'],
    );
  });

  void it('client-address policy: a source outside allowedClients is REFUSED', async () => {
    const refused = await dig(bw.dnsPort, 'a.test', 'A', ['-b', '127.0.0.2']);
    assert.equal(refused.status, 'REFUSED');
    const ok = await dig(bw.dnsPort, 'a.test', 'A', ['-b', '127.0.0.1']);
    assert.equal(ok.status, 'NOERROR');
  });
});

void describe('dns.batchedIo without the addon (BANWALL_NO_NATIVE=1)', { skip: NO_DIG_KDIG }, () => {
  let up: FakeUpstream;
  before(async () => {
    up = await startFakeUpstream({ zone: ZONE });
  });
  after(async () => {
    await up.close();
  });

  void it('auto falls back to node:dgram and answers', async () => {
    const bw = await startBanwall(testConfig([up.url], { dns: { batchedIo: 'auto' } }), {
      env: { BANWALL_NO_NATIVE: '1' },
    });
    try {
      const started = await bw.waitForLog((l) => l.msg === 'banwall started');
      assert.equal(started.dnsUdpIo, 'dgram');
      const a = await dig(bw.dnsPort, 'a.test', 'A');
      assert.deepEqual(
        a.answers.map((r) => r.data),
        ['192.0.2.1'],
      );
    } finally {
      await bw.stop();
    }
  });

  void it('on refuses to start, saying why', async () => {
    await assert.rejects(
      startBanwall(testConfig([up.url], { dns: { batchedIo: 'on' } }), { env: { BANWALL_NO_NATIVE: '1' } }),
      /dns\.batchedIo is on but the batched UDP addon is unavailable \(BANWALL_NO_NATIVE=1\)/,
    );
  });
});

void describe(
  'upstream UDP through the addon (misses, when the front end uses it)',
  { skip: NO_ADDON },
  () => {
    let up: FakeUpstream;
    before(async () => {
      up = await startFakeUpstream({ zone: ZONE });
      useBatchedUpstream(loadBatchedUdp());
    });
    after(async () => {
      useBatchedUpstream(null);
      await up.close();
    });

    void it('sends a burst of queries and matches every answer', async () => {
      const r = resolver({ upstreams: [up.url], timeout: '2s' });
      try {
        const names = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'a.test' : `x${i}.test`));
        const answers = await Promise.all(names.map((n) => resolve(r, parsedQuery(n, 'A'))));
        answers.forEach((a, i) => {
          assert.equal(a.result, 'allowed');
          assert.equal(decode(a).rcode, i % 2 === 0 ? 0 : 3);
        });
        // 26 names (identical questions in flight are asked once), all over UDP.
        assert.ok(up.queries.filter((q) => q.protocol === 'udp').length >= 26);
      } finally {
        await r.close();
      }
    });

    void it('an upstream port nobody listens on fails at once (ECONNREFUSED), not at the timeout', async () => {
      const closed = await startFakeUpstream();
      const url = closed.url;
      await closed.close();
      const r = resolver({ upstreams: [url], timeout: '5s' });
      try {
        const t0 = performance.now();
        const a = await resolve(r, parsedQuery('a.test', 'A'));
        assert.equal(a.result, 'servfail');
        assert.ok(performance.now() - t0 < 4000, `failed after ${performance.now() - t0} ms`);
      } finally {
        await r.close();
      }
    });
  },
);
