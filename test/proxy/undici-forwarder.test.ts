// The bodiless forwarder (proxy.forwarder: undici, src/proxy/undici-forwarder.ts) against the real
// curl -x, beside the http-proxy-3 path where both must behave alike: hop-by-hop headers removed both
// ways, HEAD without a body, origin failures as 502/504, a client that leaves cancels the origin
// request, the proxy's own listeners refused, and origin connections kept alive and reused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { curl } from '../helpers/curl.ts';
import { MAX_POOLS, OriginPools } from '../../src/proxy/origin-pools.ts';
import { missingTools } from '../helpers/tools.ts';
import {
  fakeChain,
  fakePolicy,
  rawExchange,
  rule,
  startProxy,
  waitFor,
  type RunningProxy,
} from './fixtures.ts';

const TOOLS_SKIP = missingTools('curl');

/** Under the curl helper's 1 MiB output buffer, over the sockets' buffers: the proxy must pause. */
const BIG = 768 * 1024;

interface CountingOrigin {
  readonly port: number;
  /** TCP connections accepted so far. */
  connections: number;
  /** Request heads seen, in order. */
  readonly seen: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  /** Requests whose client (the proxy) went away before the answer. */
  abandoned: number;
  close(): Promise<void>;
}

/**
 * `/hop` answers with every kind of hop-by-hop header (and a chunked body), `/slow` never answers,
 * `/big` sends BIG bytes, anything else 200 with a short body and Content-Length.
 */
async function startCountingOrigin(): Promise<CountingOrigin> {
  const server = http.createServer({ keepAliveTimeout: 10_000 });
  const origin = {
    port: 0,
    connections: 0,
    seen: [] as CountingOrigin['seen'],
    abandoned: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('connection', () => origin.connections++);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    origin.seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    res.on('close', () => {
      if (!res.writableFinished) origin.abandoned++;
    });
    if (req.url === '/slow') return;
    if (req.url === '/hop') {
      res.writeHead(200, {
        connection: 'x-origin-secret, keep-alive',
        'x-origin-secret': 'for the proxy only',
        'keep-alive': 'timeout=10',
        'proxy-authenticate': 'Basic realm="origin"',
        trailer: 'x-checksum',
        upgrade: 'h2c',
        'x-kept': 'yes',
      });
      res.write('chunk one, ');
      res.end('chunk two');
      return;
    }
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': BIG });
      res.end(Buffer.alloc(BIG, 'b'));
      return;
    }
    const body = 'hello from the origin\n';
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  origin.port = (server.address() as AddressInfo).port;
  return origin;
}

/** A port with nothing listening on it (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const policy = fakePolicy({ names: { 'blocked.test': rule('wechat', 'download', 'blocked.test') } });
const chain = fakeChain({ 'named.test': ['127.0.0.1'] });

for (const forwarder of ['undici', 'http-proxy'] as const) {
  void describe(`proxy.forwarder: ${forwarder}`, { skip: TOOLS_SKIP }, () => {
    let origin: CountingOrigin;
    let proxy: RunningProxy;
    let base: string;
    before(async () => {
      if (TOOLS_SKIP) return;
      origin = await startCountingOrigin();
      proxy = await startProxy({ forwarder, timeouts: { upstream: '1s' } }, policy, chain);
      base = `http://127.0.0.1:${origin.port}`;
    });
    after(async () => {
      await proxy?.stop();
      await origin?.close();
    });

    void test('GET by name and by address: the origin sees the name in Host and banwall in Via', async () => {
      const byName = await curl(['-x', proxy.url, `http://named.test:${origin.port}/a`]);
      assert.equal(byName.status, 200);
      assert.equal(byName.body, 'hello from the origin\n');
      const seen = origin.seen.at(-1)!;
      assert.equal(seen.headers.host, `named.test:${origin.port}`);
      assert.match(String(seen.headers.via), /^1\.1 banwall-[0-9a-f]{8}$/);
      assert.match(byName.headers, /^via: 1\.1 banwall-/im);
      const byIp = await curl(['-x', proxy.url, `${base}/b`]);
      assert.equal(byIp.status, 200);
      assert.equal(proxy.stats.request('http', 'allowed'), 2);
    });

    void test('hop-by-hop headers are removed both ways (RFC 9110 §7.6.1)', async () => {
      const r = await curl([
        '-x',
        proxy.url,
        '-H',
        'Connection: x-client-secret',
        '-H',
        'X-Client-Secret: for the proxy only',
        '-H',
        'Keep-Alive: 300',
        '-H',
        'TE: trailers',
        '-H',
        'Proxy-Authorization: Basic dTpw',
        '-H',
        'X-Client-Kept: yes',
        `${base}/hop`,
      ]);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'chunk one, chunk two');
      const sent = origin.seen.at(-1)!.headers;
      for (const h of ['x-client-secret', 'keep-alive', 'te', 'proxy-authorization', 'proxy-connection']) {
        assert.equal(sent[h], undefined, `${h} reached the origin`);
      }
      assert.equal(sent['x-client-kept'], 'yes');
      // The origin's values must not arrive; the proxy's own Connection/Keep-Alive for this client may.
      for (const h of [
        'x-origin-secret:',
        'keep-alive: timeout=10',
        'proxy-authenticate:',
        'trailer:',
        'upgrade:',
      ]) {
        assert.doesNotMatch(r.headers, new RegExp(`^${h}`, 'im'), `${h} reached the client`);
      }
      assert.doesNotMatch(r.headers, /^connection: .*x-origin-secret/im);
      assert.match(r.headers, /^x-kept: yes/im);
    });

    void test('HEAD: the headers, no body, and the connection stays usable', async () => {
      // HEAD then GET on one client connection: a body after the HEAD would corrupt the second answer.
      const raw = await rawExchange(
        proxy.port,
        `HEAD ${base}/h HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\n\r\n` +
          `GET ${base}/g HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\nConnection: close\r\n\r\n`,
      );
      const parts = raw.split('HTTP/1.1 200 OK\r\n');
      assert.equal(parts.length, 3, raw);
      const head = parts[1];
      assert.match(head, /content-length: 22\r\n/i);
      assert.ok(head.endsWith('\r\n\r\n'), `bytes after the HEAD response's head: ${JSON.stringify(head)}`);
      assert.ok(parts[2].endsWith('hello from the origin\n'));
      assert.deepEqual(
        origin.seen.slice(-2).map((s) => s.method),
        ['HEAD', 'GET'],
      );
    });

    void test('a request with a body still goes through (http-proxy-3 carries it)', async () => {
      const r = await curl(['-x', proxy.url, '--data-binary', 'payload', `${base}/post`]);
      assert.equal(r.status, 200);
      assert.equal(origin.seen.at(-1)!.method, 'POST');
    });

    void test('an origin that refuses the connection: 502; one that does not answer: 504', async () => {
      const refused = await curl(['-x', proxy.url, `http://127.0.0.1:${await closedPort()}/`]);
      assert.equal(refused.status, 502);
      assert.match(refused.body, /cannot reach .*ECONNREFUSED/);
      const slow = await curl(['-x', proxy.url, `${base}/slow`]);
      assert.equal(slow.status, 504);
      assert.match(slow.body, /did not answer in time/);
    });

    void test("the proxy's own port is refused; a blocked name gets the 403 page", async () => {
      const self = await curl(['-x', proxy.url, `http://127.0.0.1:${proxy.port}/`]);
      assert.equal(self.status, 403);
      assert.match(self.body, /banwall itself/);
      for (let i = 0; i < 2; i++) {
        // Twice: the second answer comes from the rule's template, filled the same.
        const blocked = await curl(['-x', proxy.url, 'http://blocked.test/setup.exe']);
        assert.equal(blocked.status, 403);
        assert.match(blocked.headers, /^x-banwall-block: wechat\/download/im);
        assert.match(blocked.body, /Blocked: http:\/\/blocked\.test\/setup\.exe\n/);
        assert.match(
          blocked.headers,
          new RegExp(`content-length: ${Buffer.byteLength(blocked.body)}\\r`, 'i'),
        );
      }
      const html = await curl(['-x', proxy.url, '-H', 'Accept: text/html', 'http://blocked.test/<x>']);
      assert.equal(html.status, 403);
      assert.match(html.body, /<code>http:\/\/blocked\.test\/(&lt;x&gt;|%3Cx%3E)<\/code>/);
    });
  });
}

void describe('the undici forwarder only', { skip: TOOLS_SKIP }, () => {
  let origin: CountingOrigin;
  let proxy: RunningProxy;
  let base: string;
  before(async () => {
    if (TOOLS_SKIP) return;
    origin = await startCountingOrigin();
    proxy = await startProxy({ forwarder: 'undici' }, policy, chain);
    base = `http://127.0.0.1:${origin.port}`;
  });
  after(async () => {
    await proxy?.stop();
    await origin?.close();
  });

  void test('origin connections are kept alive: 10 clients, 20 requests, fewer origin connections', async () => {
    const before = origin.connections;
    for (let i = 0; i < 10; i++) {
      // A new curl each time: a new client connection, two requests on it.
      const r = await curl(['-x', proxy.url, `${base}/k${i}a`, `${base}/k${i}b`]);
      assert.equal(r.status, 200);
    }
    assert.equal(origin.seen.filter((s) => s.url.startsWith('/k')).length, 20);
    const opened = origin.connections - before;
    assert.ok(opened >= 1 && opened <= 2, `${opened} origin connections for 20 requests`);
  });

  void test('a client that goes away cancels the origin request', async () => {
    const abandoned = origin.abandoned;
    const r = await curl(['-x', proxy.url, `${base}/slow`], 400);
    assert.equal(r.status, 0);
    await waitFor(() => origin.abandoned === abandoned + 1, 3000, 'the origin request to be cancelled');
  });

  void test('an IPv6 literal origin: the pool dials [::1], Host names it', async (t) => {
    const v6 = http.createServer((req, res) => res.end(`host ${req.headers.host}`));
    const listening = await new Promise<boolean>((resolve) => {
      v6.once('error', () => resolve(false));
      v6.listen(0, '::1', () => resolve(true));
    });
    if (!listening) {
      t.skip('no ::1 here');
      return;
    }
    try {
      const port = (v6.address() as AddressInfo).port;
      const r = await curl(['-x', proxy.url, `http://[::1]:${port}/`]);
      assert.equal(r.status, 200);
      assert.equal(r.body, `host [::1]:${port}`);
    } finally {
      v6.closeAllConnections();
      await new Promise<void>((resolve) => v6.close(() => resolve()));
    }
  });

  void test('a slow reader gets all of a large body (backpressure)', async () => {
    const r = await curl(['-x', proxy.url, '--limit-rate', '1M', `${base}/big`]);
    assert.equal(r.status, 200);
    assert.equal(r.body.length, BIG);
  });
});

void test('origin pools: one per address and port, at most MAX_POOLS, the least recently used closed', () => {
  const pools = new OriginPools({ upstreamMs: 1000, connections: 4 });
  try {
    const first = pools.get('127.0.0.1', 8080, 4);
    assert.equal(pools.get('127.0.0.1', 8080, 4), first, 'the same origin, the same pool');
    const other = pools.get('127.0.0.1', 8081, 4);
    assert.notEqual(other, first, 'another port, another pool');
    const v6 = pools.get('::1', 8080, 6);
    assert.notEqual(v6, first);
    // Touch the first again: the least recently used is now `other`.
    assert.equal(pools.get('127.0.0.1', 8080, 4), first);
    for (let i = 0; i < MAX_POOLS - 2; i++) pools.get(`10.0.${i >> 8}.${i & 255}`, 80, 4);
    assert.equal(pools.size, MAX_POOLS);
    assert.equal(other.closed, true, 'the least recently used was closed');
    assert.equal(pools.get('127.0.0.1', 8080, 4), first, 'recently used: kept');
    assert.equal(pools.get('::1', 8080, 6), v6);
    assert.notEqual(pools.get('127.0.0.1', 8081, 4), other, 'an evicted origin gets a new pool');
    assert.equal(pools.size, MAX_POOLS);
  } finally {
    pools.destroy();
  }
});
