// The DNS front end on real sockets: dig and kdig over UDP and TCP, raw packets for the edge cases,
// TCP pipelining, caps and idle timeout, floods of malformed packets, graceful stop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import dns2 from 'dns2';
import { dig, NO_DIG_KDIG } from '../../helpers/dig.ts';
import { assertAnswers } from '../../helpers/dig-assert.ts';
import { StubResolver, startServer } from '../../helpers/dns-server.ts';
import { udpExchange } from '../../helpers/dns-client.ts';
import { queryPacket } from '../../helpers/dns-query.ts';
import { randomPacket, seededRandom, udpFlood } from '../../helpers/malformed-packets.ts';
import type { DnsServer } from '../../../src/dns/server/dns-server.ts';
import type { DnsStats } from '../../../src/dns/stats/dns-stats.ts';

import { missingTools } from '../../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('dig', 'kdig');

const { Packet } = dns2;
const run = promisify(execFile);

const resolver = new StubResolver()
  .add('a.test', { type: 1, address: '192.0.2.1' })
  .add('a.test', { type: 28, address: '2001:db8::1' })
  .add('a.test', { type: 15, priority: 10, exchange: 'mail.a.test' })
  .add('a.test', { type: 16, data: 'hello world' })
  .add('slow.test', { type: 1, address: '192.0.2.2' })
  .add('fast.test', { type: 1, address: '192.0.2.3' });
resolver.delays.set('slow.test', 300);
for (let i = 0; i < 12; i++) resolver.add('big.test', { type: 16, data: `${i}-${'x'.repeat(150)}` });

let server: DnsServer;
let port: number;
let stats: DnsStats;

before(async () => {
  ({ server, port, stats } = await startServer(resolver, {
    tcp: { idleTimeout: '300ms', maxConnections: 50, maxConnectionsPerClient: 3 },
  }));
});

after(async () => {
  await server.stop(100);
});

void test(
  'UDP and TCP share one port, and addresses() reports it',
  { skip: TOOLS_SKIP || NO_DIG_KDIG },
  () => {
    const addrs = server.addresses();
    assert.deepEqual(
      addrs.map((a) => a.protocol),
      ['udp', 'tcp'],
    );
    assert.ok(addrs.every((a) => a.port === port && a.host === '127.0.0.1'));
  },
);

for (const tcp of [false, true]) {
  const extra = tcp ? ['+tcp'] : [];
  const proto = tcp ? 'TCP' : 'UDP';
  void test(`dig over ${proto}: A, AAAA, MX, TXT, NXDOMAIN`, { skip: TOOLS_SKIP }, async () => {
    const a = await dig(port, 'a.test', 'A', extra);
    assertAnswers(a, ['192.0.2.1']);
    assert.ok(a.raw.includes(tcp ? '(TCP)' : '(UDP)'));
    assertAnswers(await dig(port, 'a.test', 'AAAA', extra), ['2001:db8::1']);
    assertAnswers(await dig(port, 'a.test', 'MX', extra), ['10 mail.a.test.']);
    assertAnswers(await dig(port, 'a.test', 'TXT', extra), ['"hello world"']);
    assert.equal((await dig(port, 'missing.test', 'A', extra)).status, 'NXDOMAIN');
  });
}

void test('kdig over UDP and TCP', { skip: TOOLS_SKIP || NO_DIG_KDIG }, async () => {
  for (const extra of [[], ['+tcp']]) {
    const { stdout } = await run('kdig', ['@127.0.0.1', '-p', String(port), 'a.test', 'A', ...extra], {
      timeout: 10_000,
    });
    assert.match(stdout, /status: NOERROR/);
    assert.match(stdout, /a\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.1/);
  }
});

/** The server's UDP reply to `query`; there must be one. */
async function udpReply(query: Buffer): Promise<Buffer> {
  const raw = await udpExchange(port, query);
  assert.ok(raw, 'a UDP reply');
  return raw;
}

void test(
  'EDNS: BADVERS for version 1 (dig retries with version 0 and gets its answer)',
  { skip: NO_DIG_KDIG },
  async () => {
    const raw = await udpReply(queryPacket('a.test', 1, { edns: { version: 1 } }));
    assert.equal(raw[3] & 0x0f, 0);
    const p = Packet.parse(raw);
    assert.equal(p.answers.length, 0);
    const opt = raw.subarray(raw.length - 11);
    assert.equal(opt.readUInt16BE(1), 41);
    assert.equal(opt[5], 1, 'extended rcode 1: BADVERS');
    const d = await dig(port, 'a.test', 'A', ['+edns=1']);
    assert.match(d.raw, /BADVERS/);
    assert.equal(d.status, 'NOERROR');
  },
);

void test(
  'a UDP answer too big for the client is truncated with TC and keeps OPT; dig retries over TCP',
  { skip: NO_DIG_KDIG },
  async () => {
    const raw = await udpReply(queryPacket('big.test', 16, { edns: { size: 4096 } }));
    assert.equal(raw[2] & 0x02, 0x02, 'TC');
    assert.equal(raw.readUInt16BE(6), 0);
    assert.equal(raw.readUInt16BE(10), 1, 'OPT kept');
    assert.ok(raw.length <= 1232);
    const noEdns = await udpExchange(port, queryPacket('big.test', 16));
    assert.ok(noEdns && noEdns.length <= 512 && (noEdns[2] & 0x02) === 0x02);
    const d = await dig(port, 'big.test', 'TXT');
    assert.match(d.raw, /Truncated, retrying in TCP mode/);
    assert.equal(d.answers.length, 12);
  },
);

void test(
  'FORMERR for QDCOUNT 2, NOTIMP for opcode NOTIFY, nothing for a 5-byte packet',
  { skip: NO_DIG_KDIG },
  async () => {
    const two = queryPacket('a.test', 1, { id: 9 });
    two.writeUInt16BE(2, 4);
    const f = await udpReply(two);
    assert.equal(f.readUInt16BE(0), 9);
    assert.equal(f[3] & 0x0f, 1);
    const notify = queryPacket('a.test');
    notify[2] |= 4 << 3;
    const n = await udpReply(notify);
    assert.equal(n[3] & 0x0f, 4);
    assert.equal((n[2] >> 3) & 0x0f, 4, 'opcode echoed');
    assert.equal(await udpExchange(port, Buffer.from([1, 2, 3, 4, 5]), { timeoutMs: 300 }), null);
    assert.ok(stats.total('formerr') >= 2);
  },
);

/** Opens a TCP connection and collects framed replies. */
function tcpClient(): Promise<{ sock: net.Socket; replies: Buffer[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const replies: Buffer[] = [];
    let buf = Buffer.alloc(0);
    sock.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        replies.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
    });
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    sock.on('error', () => {});
    sock.once('connect', () => resolve({ sock, replies, closed }));
    sock.once('error', reject);
  });
}

function frame(q: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(q.length);
  return Buffer.concat([len, q]);
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

void test(
  'TCP pipelining: several queries on one connection, answered as each completes',
  { skip: NO_DIG_KDIG },
  async () => {
    const c = await tcpClient();
    // One write holding a slow query then two fast ones; the fast ones must not wait for the slow one.
    c.sock.write(
      Buffer.concat([
        frame(queryPacket('slow.test', 1, { id: 1 })),
        frame(queryPacket('fast.test', 1, { id: 2 })),
        frame(queryPacket('a.test', 16, { id: 3 })),
      ]),
    );
    // A frame split across writes, byte by byte for its length prefix.
    const split = frame(queryPacket('a.test', 28, { id: 4 }));
    c.sock.write(split.subarray(0, 1));
    await new Promise((r) => setTimeout(r, 20));
    c.sock.write(split.subarray(1, 9));
    await new Promise((r) => setTimeout(r, 20));
    c.sock.write(split.subarray(9));
    await until(() => c.replies.length === 4);
    const ids = c.replies.map((r) => r.readUInt16BE(0));
    assert.equal(ids[ids.length - 1], 1, 'the slow answer comes last');
    assert.deepEqual([...ids].sort(), [1, 2, 3, 4]);
    c.sock.destroy();
  },
);

void test(
  'TCP: a client half-closing after its query still gets the answer',
  { skip: NO_DIG_KDIG },
  async () => {
    const c = await tcpClient();
    c.sock.end(frame(queryPacket('slow.test', 1, { id: 5 })));
    await c.closed;
    assert.equal(c.replies.length, 1);
    assert.equal(c.replies[0].readUInt16BE(0), 5);
  },
);

void test(
  'TCP: idle connections are closed after dns.tcp.idleTimeout',
  { skip: TOOLS_SKIP || NO_DIG_KDIG },
  async () => {
    const c = await tcpClient();
    const started = Date.now();
    await c.closed;
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 2000, `closed after ${took} ms`);
  },
);

void test(
  'TCP: over maxConnectionsPerClient, a new connection is closed at once',
  { skip: NO_DIG_KDIG },
  async () => {
    const open = [await tcpClient(), await tcpClient(), await tcpClient()];
    await until(() => server.load().tcpConnections === 3);
    const extra = await tcpClient();
    await extra.closed;
    assert.ok(server.counters.tcpRefused >= 1);
    for (const c of open) c.sock.destroy();
  },
);

void test(
  'a link that throws or rejects gets SERVFAIL, and the server goes on',
  { skip: NO_DIG_KDIG },
  async () => {
    resolver.throwSync = true;
    try {
      assert.equal((await dig(port, 'a.test')).status, 'SERVFAIL');
    } finally {
      resolver.throwSync = false;
    }
    resolver.reject = true;
    try {
      assert.equal((await dig(port, 'a.test', 'A', ['+tcp'])).status, 'SERVFAIL');
    } finally {
      resolver.reject = false;
    }
    assert.equal((await dig(port, 'a.test')).status, 'NOERROR');
  },
);

void test(
  '10,000 malformed and random packets over UDP, then a normal answer',
  { skip: NO_DIG_KDIG },
  async () => {
    const started = Date.now();
    await udpFlood(port, queryPacket('a.test', 1, { edns: {} }), 12345, 80);
    assert.ok(Date.now() - started < 5000);
    // Most of the flood reached the parser (loopback may drop some when the machine is busy).
    await until(() => server.counters.malformed + server.counters.dropped > 1000);
    const d = await dig(port, 'a.test');
    assertAnswers(d, ['192.0.2.1']);
  },
);

void test('IPv6: [::1] serves UDP and TCP', { skip: TOOLS_SKIP || NO_DIG_KDIG }, async () => {
  const v6 = await startServer(resolver, { listen: ['[::1]:0', '127.0.0.1:0'] });
  try {
    const p6 = v6.server.addresses().find((a) => a.host === '::1')!.port;
    for (const extra of [[], ['+tcp']]) {
      const { stdout } = await run('dig', ['@::1', '-p', String(p6), 'a.test', 'AAAA', '+short', ...extra]);
      assert.equal(stdout.trim(), '2001:db8::1');
    }
    assert.equal(resolver.seen.at(-1)?.client, '::1');
  } finally {
    await v6.server.stop(0);
  }
});

void test(
  'graceful stop: a query in flight is still answered, then the sockets close',
  { skip: NO_DIG_KDIG },
  async () => {
    const s = await startServer(resolver);
    const pending = udpExchange(s.port, queryPacket('slow.test', 1, { id: 77 }), { timeoutMs: 2000 });
    await new Promise((r) => setTimeout(r, 50));
    const stopped = s.server.stop(2000);
    const reply = await pending;
    assert.ok(reply);
    assert.equal(reply.readUInt16BE(0), 77);
    await stopped;
    assert.equal(await udpExchange(s.port, queryPacket('a.test'), { timeoutMs: 200 }), null);
  },
);

void test(
  'a listen address already in use is a clear start error naming it',
  { skip: NO_DIG_KDIG },
  async () => {
    const taken = `127.0.0.1:${port}`;
    await assert.rejects(
      () => startServer(resolver, { listen: [taken] }),
      (err: Error) => err.message.startsWith(`dns.listen: cannot bind ${taken}`),
    );
  },
);

void test(
  'random bytes and random frames over TCP, then a normal answer',
  { skip: NO_DIG_KDIG },
  async () => {
    const rnd = seededRandom(7);
    for (let conn = 0; conn < 3; conn++) {
      const c = await tcpClient();
      const parts: Buffer[] = [];
      for (let i = 0; i < 500; i++) {
        const body = randomPacket(rnd, 60);
        // Mostly well-framed garbage, sometimes a lying length prefix.
        parts.push(i % 50 === 49 ? body : frame(body));
      }
      c.sock.end(Buffer.concat(parts));
      await c.closed;
    }
    assert.equal((await dig(port, 'a.test', 'A', ['+tcp'])).status, 'NOERROR');
  },
);
