// DoT and DoH front ends in process, in front of a fake resolver, asked with the real kdig and with raw
// TLS / HTTP/2 clients for what kdig cannot do (pipelining, malformed requests, headers).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { pino } from 'pino';
import { configSchema } from '../../../src/config/schema.ts';
import { EncryptedDnsServers } from '../../../src/dns/encrypted/encrypted-servers.ts';
import { DnsStats } from '../../../src/dns/stats/dns-stats.ts';
import { FakeResolver } from './fake-resolver.ts';
import { queryPacket } from '../../helpers/dns-query.ts';
import { kdigEncrypted, NO_DIG_KDIG } from '../../helpers/dig.ts';
import { assertAnswers } from '../../helpers/dig-assert.ts';
import { issueLeaf, makeCa, TEST_HOSTNAME, TEST_SERVER_NAMES, type TestCa } from '../../helpers/certs.ts';

const log = pino({ level: 'silent' });

interface H2Reply {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
}

function h2request(
  port: number,
  ca: Buffer,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer,
): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername: TEST_HOSTNAME });
    session.on('error', reject);
    const req = session.request(headers);
    const chunks: Buffer[] = [];
    let status = 0;
    let got: http2.IncomingHttpHeaders = {};
    req.on('response', (h) => {
      status = Number(h[':status']);
      got = h;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      session.close();
      resolve({ status, headers: got, body: Buffer.concat(chunks) });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function peerCertCn(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: TEST_HOSTNAME }, () => {
      const cn = s.getPeerCertificate().subject.CN;
      s.destroy();
      resolve(String(Array.isArray(cn) ? cn[0] : cn));
    });
    s.on('error', reject);
  });
}

void describe('encrypted DNS front ends (in process)', { skip: NO_DIG_KDIG }, () => {
  let ca: TestCa;
  let dir: string;
  let caPem: Buffer;
  let servers: EncryptedDnsServers;
  let dotPort: number;
  let dohPort: number;
  const resolver = new FakeResolver();
  const stats = new DnsStats();

  before(async () => {
    ca = await makeCa();
    dir = await mkdtemp(path.join(tmpdir(), 'banwall-enc-'));
    await issueLeaf(dir, 'server', ca, TEST_SERVER_NAMES, 'first');
    caPem = await readFile(ca.certFile);
    const cfg = configSchema.parse({
      dns: {
        upstreams: ['udp://127.0.0.1:9'],
        tcp: { idleTimeout: '1s', maxConnectionsPerClient: 4 },
        dot: { listen: ['127.0.0.1:0'], cert: 'server.pem', key: 'server.key' },
        doh: { listen: ['127.0.0.1:0'], cert: 'server.pem', key: 'server.key' },
      },
    });
    servers = new EncryptedDnsServers(resolver, cfg.dns, dir, log, stats);
    await servers.start();
    dotPort = servers.addresses().dot[0].port;
    dohPort = servers.addresses().doh[0].port;
  });

  after(async () => {
    await servers.stop(100);
    await rm(dir, { recursive: true, force: true });
    await rm(ca.dir, { recursive: true, force: true });
  });

  void it('answers kdig +tls with the CA verified', async () => {
    const r = await kdigEncrypted('tls', dotPort, '7.a.test', 'A', ca.certFile);
    assertAnswers(r, ['192.0.2.7']);
    // The cache's elapsed time is taken off the TTL on the way out.
    assert.equal(r.answers[0].ttl, 295);
    assert.equal(resolver.seen.at(-1)?.protocol, 'dot');
  });

  void it('answers kdig +https (POST) and +https-get', async () => {
    const post = await kdigEncrypted('https', dohPort, '8.a.test', 'A', ca.certFile);
    assert.equal(post.status, 'NOERROR');
    assert.equal(post.answers[0].data, '192.0.2.8');
    assert.equal(resolver.seen.at(-1)?.protocol, 'doh');
    const get = await kdigEncrypted('https-get', dohPort, 'missing.test', 'A', ca.certFile);
    assert.equal(get.status, 'NXDOMAIN');
  });

  void it('answers pipelined DoT queries as each completes', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: dotPort, ca: caPem, servername: TEST_HOSTNAME });
    await new Promise<void>((r, j) => socket.once('secureConnect', r).once('error', j));
    const frames = [
      queryPacket('slow.test', 1, { id: 1 }),
      queryPacket('1.a.test', 1, { id: 2 }),
      queryPacket('2.a.test', 1, { id: 3 }),
    ].map((q) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]));
    // All three in one write, and the second split across two writes to exercise the framing.
    socket.write(Buffer.concat(frames).subarray(0, frames[0].length + 5));
    socket.write(Buffer.concat(frames).subarray(frames[0].length + 5));
    const ids: number[] = [];
    let buf = Buffer.alloc(0);
    await new Promise<void>((resolve) => {
      socket.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          ids.push(buf.readUInt16BE(2));
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (ids.length === 3) resolve();
      });
    });
    socket.destroy();
    // The slow answer does not hold up the fast ones behind it.
    assert.deepEqual(ids, [2, 3, 1]);
  });

  void it('caps DoT connections per client (dns.tcp.maxConnectionsPerClient) before the handshake', async () => {
    const open = (): Promise<tls.TLSSocket | null> =>
      new Promise((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port: dotPort, ca: caPem, servername: TEST_HOSTNAME });
        s.once('secureConnect', () => resolve(s));
        s.once('error', () => resolve(null));
        s.once('close', () => resolve(null));
      });
    const held: tls.TLSSocket[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await open();
      assert.ok(s, `connection ${i + 1} of 4 accepted`);
      held.push(s);
    }
    assert.equal(await open(), null, 'the fifth is closed');
    held.pop()!.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const again = await open();
    assert.ok(again, 'a slot freed by a close is reusable');
    held.push(again);
    for (const s of held) s.destroy();
    await new Promise((r) => setTimeout(r, 50));
  });

  void it('closes an idle DoT connection after dns.tcp.idleTimeout', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: dotPort, ca: caPem, servername: TEST_HOSTNAME });
    await new Promise<void>((r, j) => socket.once('secureConnect', r).once('error', j));
    const started = Date.now();
    await new Promise<void>((r) => socket.once('close', () => r()).resume());
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 5000, `closed after ${waited} ms`);
  });

  void it('serves DoH over HTTP/2 with Cache-Control from the answer TTL', async () => {
    const q = queryPacket('9.a.test', 1, { id: 0 });
    const r = await h2request(dohPort, caPem, {
      ':method': 'GET',
      ':path': `/dns-query?dns=${q.toString('base64url')}`,
      accept: 'application/dns-message',
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/dns-message');
    assert.equal(r.headers['cache-control'], 'max-age=295');
    assert.equal(r.body.readUInt16BE(0), 0);
    assert.equal(r.body.readUInt16BE(6), 1);
  });

  void it('refuses malformed DoH requests with the right status, and keeps serving', async () => {
    const refused: [string, Record<string, string>, Buffer | undefined, number][] = [
      ['not base64url', { ':method': 'GET', ':path': '/dns-query?dns=***' }, undefined, 400],
      ['no dns parameter', { ':method': 'GET', ':path': '/dns-query' }, undefined, 400],
      ['too short for a header', { ':method': 'GET', ':path': '/dns-query?dns=AAAA' }, undefined, 400],
      [
        'another content type',
        { ':method': 'POST', ':path': '/dns-query', 'content-type': 'text/plain' },
        Buffer.from('hello'),
        415,
      ],
      ['another method', { ':method': 'PUT', ':path': '/dns-query' }, undefined, 405],
      ['another path', { ':method': 'GET', ':path': '/other' }, undefined, 404],
      [
        'a body over 65,535 bytes',
        { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' },
        Buffer.alloc(70_000),
        413,
      ],
    ];
    for (const [what, headers, body, status] of refused) {
      assert.equal((await h2request(dohPort, caPem, headers, body)).status, status, what);
    }
    const formerr = await h2request(
      dohPort,
      caPem,
      { ':method': 'POST', ':path': '/dns-query', 'content-type': 'application/dns-message' },
      Buffer.from('000001000002000000000000', 'hex'),
    );
    assert.equal(formerr.status, 200);
    assert.equal(formerr.body[3] & 0xf, 1, 'FORMERR for QDCOUNT 2');
    assert.equal(stats.total('formerr'), 1, 'counted as banwall_dns_queries_total{result="formerr"}');
    const ok = await kdigEncrypted('https', dohPort, '3.a.test', 'A', ca.certFile);
    assert.equal(ok.answers[0].data, '192.0.2.3');
  });

  void it('serves a replaced certificate without a restart, and keeps the old one when the new is broken', async () => {
    assert.equal(await peerCertCn(dotPort, caPem), 'first');
    await issueLeaf(ca.dir, 'next', ca, TEST_SERVER_NAMES, 'second');
    await copyFile(path.join(ca.dir, 'next.key'), path.join(dir, 'server.key'));
    await copyFile(path.join(ca.dir, 'next.pem'), path.join(dir, 'server.pem'));
    const deadline = Date.now() + 5000;
    let dot = '';
    let doh = '';
    while (Date.now() < deadline) {
      dot = await peerCertCn(dotPort, caPem);
      doh = await peerCertCn(dohPort, caPem);
      if (dot === 'second' && doh === 'second') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(dot, 'second');
    assert.equal(doh, 'second');
    // A key that does not match the certificate is rejected; the working pair keeps serving.
    await issueLeaf(ca.dir, 'third', ca, TEST_SERVER_NAMES, 'third');
    await copyFile(path.join(ca.dir, 'third.key'), path.join(dir, 'server.key'));
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(await peerCertCn(dotPort, caPem), 'second');
    const r = await kdigEncrypted('tls', dotPort, '4.a.test', 'A', ca.certFile);
    assert.equal(r.answers[0].data, '192.0.2.4');
  });
});
