// TCP, DoT and DoH upstreams, against test servers on loopback with a self-signed certificate made
// by openssl at test time. The URLs name the servers by IP with the TLS name after '#'.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { fakeUpstreams, resolve, tcpServerUpstream, testResolver } from './upstream-helpers.ts';
import { parsedQuery } from '../../helpers/dns-query.ts';
import {
  makeSelfSigned,
  startDohServer,
  answer,
  startDotServer,
  TLS_NAME,
  type SelfSigned,
} from '../../helpers/fake-upstream/encrypted.ts';
import { missingTools } from '../../helpers/tools.ts';

/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('openssl');

let tlsFiles: SelfSigned;

before(async () => {
  if (TOOLS_SKIP) return; // every test here skips
  tlsFiles = await makeSelfSigned();
});

after(async () => {
  if (TOOLS_SKIP) return;
  await rm(tlsFiles.dir, { recursive: true, force: true });
});

/** A test DoT or DoH server with the test certificate, closed when `t` ends. */
async function encryptedServer<S extends { close(): Promise<void> }>(
  t: TestContext,
  start: (files: SelfSigned) => Promise<S>,
): Promise<S> {
  const server = await start(tlsFiles);
  t.after(() => server.close());
  return server;
}

/** A resolver of the one upstream `url` that trusts the test certificate, closed when `t` ends. */
const trusting = (t: TestContext, url: string, timeout: string) =>
  testResolver(t, { upstreams: [url], timeout }, { ca: tlsFiles.cert });

void test('tcp:// upstream: pipelined queries on one reused connection', { skip: TOOLS_SKIP }, async (t) => {
  const [up] = await fakeUpstreams(t, 1, { zone: { 'a.test': [{ type: 'A', data: '192.0.2.1' }] } });
  const r = testResolver(t, { upstreams: [`tcp://127.0.0.1:${up.port}`], timeout: '1s' });
  const answers = await Promise.all(
    ['a.test', 'A.TEST', 'b.test'].map((n, i) => resolve(r, parsedQuery(n, i === 1 ? 'AAAA' : 'A'))),
  );
  assert.deepEqual(answers[0].facts?.addresses, ['192.0.2.1']);
  assert.ok(up.queries.every((q) => q.protocol === 'tcp'));
  assert.equal(up.queries.length, 3);
});

void test(
  'tcp:// upstream that closes connections: reconnects, and a query lost to a close is sent again',
  { skip: TOOLS_SKIP },
  async (t) => {
    // The first connection is closed without an answer; later ones answer one query and then close.
    let connections = 0;
    const { url } = await tcpServerUpstream(t, (sock) => {
      const n = ++connections;
      sock.on('error', () => {});
      sock.once('data', (chunk: Buffer) => {
        if (n === 1) return sock.destroy();
        const out = answer(chunk.subarray(2, 2 + chunk.readUInt16BE(0)));
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        sock.end(Buffer.concat([len, out]));
      });
    });
    const r = testResolver(t, { upstreams: [url], timeout: '2s' });
    for (const name of ['one.test', 'two.test', 'three.test']) {
      const a = await resolve(r, parsedQuery(name));
      assert.deepEqual(a.facts?.addresses, ['192.0.2.53'], name);
    }
    // One per query plus the one closed unanswered (a query may also race a close: one more).
    assert.ok(connections >= 4 && connections <= 6, `${connections} connections`);
  },
);

void test(
  'tls:// (DoT) upstream by IP, certificate checked against the #servername',
  { skip: TOOLS_SKIP },
  async (t) => {
    const server = await encryptedServer(t, startDotServer);
    const good = trusting(t, `tls://127.0.0.1:${server.port}#${TLS_NAME}`, '2s');
    const wrongName = trusting(t, `tls://127.0.0.1:${server.port}#other.test`, '1s');
    const [a, b] = await Promise.all([
      resolve(good, parsedQuery('x.test')),
      resolve(good, parsedQuery('y.test')),
    ]);
    assert.deepEqual(a.facts?.addresses, ['192.0.2.53']);
    assert.equal(b.result, 'allowed');
    assert.deepEqual(server.seen, [TLS_NAME], 'one connection, SNI = the servername');
    const bad = await resolve(wrongName, parsedQuery('x.test'));
    assert.equal(bad.result, 'servfail', 'a certificate for another name is refused');
    assert.equal(bad.ede?.code, 23);
  },
);

void test(
  'https:// (DoH) upstream: RFC 8484 GET with ID 0 over HTTP/2, Host = the servername',
  { skip: TOOLS_SKIP },
  async (t) => {
    const server = await encryptedServer(t, startDohServer);
    const r = trusting(t, `https://127.0.0.1:${server.port}/dns-query#${TLS_NAME}`, '2s');
    const notFound = trusting(t, `https://127.0.0.1:${server.port}/nope#${TLS_NAME}`, '1s');
    const answers = await Promise.all(['p.test', 'q.test'].map((n) => resolve(r, parsedQuery(n))));
    for (const a of answers) assert.deepEqual(a.facts?.addresses, ['192.0.2.53']);
    assert.deepEqual(server.seen, [
      `/dns-query ${TLS_NAME}:${server.port} 0`,
      `/dns-query ${TLS_NAME}:${server.port} 0`,
    ]);
    const bad = await resolve(notFound, parsedQuery('p.test'));
    assert.equal(bad.result, 'servfail');
    assert.equal(notFound.counters()[0].errors.http, 1);
  },
);
