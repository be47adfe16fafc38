// TCP, DoT and DoH upstreams, against test servers on loopback with a self-signed certificate made
// by openssl at test time. The URLs name the servers by IP with the TLS name after '#'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startFakeUpstream } from '../helpers/fake-upstream.ts';
import { query, resolve, resolver } from './upstream-helpers.ts';
import {
  makeSelfSigned,
  startDohServer,
  startDotServer,
  TLS_NAME,
  type SelfSigned,
} from './upstream-test-servers.ts';

let tlsFiles: SelfSigned;

before(async () => {
  tlsFiles = await makeSelfSigned();
});

after(async () => {
  await rm(tlsFiles.dir, { recursive: true, force: true });
});

void test('tcp:// upstream: pipelined queries on one reused connection', async () => {
  const up = await startFakeUpstream({ zone: { 'a.test': [{ type: 'A', data: '192.0.2.1' }] } });
  const r = resolver({ upstreams: [`tcp://127.0.0.1:${up.port}`], timeout: '1s' });
  try {
    const answers = await Promise.all(
      ['a.test', 'A.TEST', 'b.test'].map((n, i) => resolve(r, query(n, i === 1 ? 'AAAA' : 'A'))),
    );
    assert.deepEqual(answers[0].facts?.addresses, ['192.0.2.1']);
    assert.ok(up.queries.every((q) => q.protocol === 'tcp'));
    assert.equal(up.queries.length, 3);
  } finally {
    await r.close();
    await up.close();
  }
});

void test('tls:// (DoT) upstream by IP, certificate checked against the #servername', async () => {
  const server = await startDotServer(tlsFiles);
  const ca = tlsFiles.cert;
  const good = resolver({ upstreams: [`tls://127.0.0.1:${server.port}#${TLS_NAME}`], timeout: '2s' }, { ca });
  const wrongName = resolver(
    { upstreams: [`tls://127.0.0.1:${server.port}#other.test`], timeout: '1s' },
    { ca },
  );
  try {
    const [a, b] = await Promise.all([resolve(good, query('x.test')), resolve(good, query('y.test'))]);
    assert.deepEqual(a.facts?.addresses, ['192.0.2.53']);
    assert.equal(b.result, 'allowed');
    assert.deepEqual(server.seen, [TLS_NAME], 'one connection, SNI = the servername');
    const bad = await resolve(wrongName, query('x.test'));
    assert.equal(bad.result, 'servfail', 'a certificate for another name is refused');
    assert.equal(bad.ede?.code, 23);
  } finally {
    await good.close();
    await wrongName.close();
    await server.close();
  }
});

void test('https:// (DoH) upstream: RFC 8484 GET with ID 0 over HTTP/2, Host = the servername', async () => {
  const server = await startDohServer(tlsFiles);
  const ca = tlsFiles.cert;
  const r = resolver(
    { upstreams: [`https://127.0.0.1:${server.port}/dns-query#${TLS_NAME}`], timeout: '2s' },
    { ca },
  );
  const notFound = resolver(
    { upstreams: [`https://127.0.0.1:${server.port}/nope#${TLS_NAME}`], timeout: '1s' },
    { ca },
  );
  try {
    const answers = await Promise.all(['p.test', 'q.test'].map((n) => resolve(r, query(n))));
    for (const a of answers) assert.deepEqual(a.facts?.addresses, ['192.0.2.53']);
    assert.deepEqual(server.seen, [
      `/dns-query ${TLS_NAME}:${server.port} 0`,
      `/dns-query ${TLS_NAME}:${server.port} 0`,
    ]);
    const bad = await resolve(notFound, query('p.test'));
    assert.equal(bad.result, 'servfail');
    assert.equal(notFound.counters()[0].errors.http, 1);
  } finally {
    await r.close();
    await notFound.close();
    await server.close();
  }
});
