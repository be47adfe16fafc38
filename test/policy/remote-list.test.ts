// Remote lists over HTTP on loopback: fetched at load, refreshed (conditional GET: 304 when unchanged)
// and recompiled after a change, kept when the server goes away, used from the copy on disk at the
// next start, refused over plain http:// to a non-loopback address, and capped in size.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { PolicyStore } from '../../src/policy/store.ts';
import { createLogger } from '../../src/log.ts';
import { loaded, tempDir } from './policy-helpers.ts';

interface ListServer {
  url: string;
  body: string;
  requests: number;
  notModified: number;
  close(): Promise<void>;
}

async function listServer(body: string): Promise<ListServer> {
  const s: ListServer = { url: '', body, requests: 0, notModified: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    s.requests++;
    const etag = `"${createHash('sha1').update(s.body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) {
      s.notModified++;
      res.writeHead(304).end();
      return;
    }
    res.writeHead(200, { etag, 'content-type': 'text/plain' }).end(s.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/list.txt`;
  s.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return s;
}

const config = (url: string, extra: Record<string, unknown> = {}) => ({
  dns: { upstreams: ['udp://127.0.0.1:5300'] },
  lists: [{ name: 'remote', app: 'wechat', category: 'core', source: url, refresh: '1s' }],
  blocking: { cacheDir: 'cache', fetchTimeout: '2s', ...extra },
});

/**
 * A list server serving `body` and a store (with `storeOptions`) in a fresh dir, both closed when the
 * test `t` ends; load the store with `loaded(dir, config(srv.url))`.
 */
async function remoteList(
  t: TestContext,
  body: string,
  storeOptions: { refresh?: boolean } = {},
): Promise<{ srv: ListServer; dir: string; store: PolicyStore }> {
  const srv = await listServer(body);
  const dir = await tempDir();
  const store = new PolicyStore(createLogger('silent'), { watch: false, ...storeOptions });
  t.after(async () => {
    store.close();
    await srv.close();
  });
  return { srv, dir, store };
}

async function until(cond: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

void test('fetched, refreshed after a change, kept when the server goes away, restored from disk', async (t) => {
  const { srv, dir, store } = await remoteList(t, 'a.example\n');
  await store.load(loaded(dir, config(srv.url)));
  const blocked = (n: string) => store.current.matchName(n, '127.0.0.1') !== null;
  assert.ok(blocked('x.a.example'));
  assert.ok(store.refresher.health('remote').lastSuccess > 0);

  await until(() => srv.notModified >= 1); // unchanged: a conditional GET answered 304
  assert.ok(blocked('x.a.example'));

  srv.body = 'b.example\n';
  await until(() => blocked('b.example'));
  assert.ok(!blocked('a.example'), 'the new contents replace the old');

  await srv.close();
  await until(() => store.refresher.health('remote').refreshFailures >= 1);
  assert.ok(blocked('b.example'), 'a failed refresh keeps the previous contents');
  assert.equal(store.current.lists()[0].entries, 1, 'the snapshot in force is unchanged');
  store.close();

  // Next start, server gone: the copy on disk is used.
  const again = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  const report = await again.load(loaded(dir, config(srv.url)));
  assert.deepEqual(report.warnings, []);
  assert.ok(again.current.matchName('b.example', '127.0.0.1'));
  again.close();
});

void test('a list that fails to parse on refresh keeps its previous contents', async (t) => {
  const { srv, dir, store } = await remoteList(t, 'a.example\n');
  await store.load(loaded(dir, config(srv.url)));
  srv.body = '<html>\n<body>maintenance</body>\n</html>\n';
  await until(() => store.refresher.health('remote').refreshFailures >= 1);
  assert.ok(store.current.matchName('a.example', '127.0.0.1'));
});

void test('no copy and no server: the list is empty and reported, banwall still starts', async (t) => {
  const { srv, dir, store } = await remoteList(t, 'a.example\n', { refresh: false });
  await srv.close();
  const report = await store.load(loaded(dir, config(srv.url)));
  assert.match(
    report.warnings?.[0] ?? '',
    /lists\[0\]\.source: .* cannot be fetched and there is no copy on disk/,
  );
  assert.equal(store.refresher.health('remote').refreshFailures, 1);
});

void test('size cap, and plain http only to loopback', async (t) => {
  const { srv, dir, store } = await remoteList(t, 'a.example\n'.repeat(1000), { refresh: false });
  const report = await store.load(loaded(dir, config(srv.url, { maxListSize: 1000 })));
  assert.equal(report.warnings?.length, 1, 'over the cap: not accepted');
  await assert.rejects(
    store.load(loaded(dir, config('http://192.0.2.1/list.txt'))),
    (err: Error & { problems: string[] }) =>
      /lists\[0\]\.source: .*plain http:\/\/ is accepted only for loopback/.test(err.problems[0]),
  );
});

void test('a refresh that empties the list is refused by the reload guard and counted as a failure', async (t) => {
  const { srv, dir, store } = await remoteList(t, 'a.example\nb.example\nc.example\n');
  await store.load(loaded(dir, config(srv.url)));
  const generation = store.current.generation;
  const lastSuccess = store.refresher.health('remote').lastSuccess;
  srv.body = ''; // a truncated download: 200 OK, no lines
  // Refused before it replaces the copy on disk: fetched again (and refused) at every interval.
  await until(() => store.refresher.health('remote').refreshFailures >= 2);
  assert.equal(store.refresher.health('remote').lastSuccess, lastSuccess);
  assert.equal(store.current.generation, generation, 'no new policy was swapped in');
  assert.ok(store.current.matchName('b.example', '127.0.0.1'), 'the policy in force keeps serving');
});

void test('a list that changes at every refresh is fetched once per interval, not in growing chains', async (t) => {
  const { srv, dir, store } = await remoteList(t, 'n0.example\n');
  await store.load(loaded(dir, config(srv.url)));
  const timer = setInterval(() => (srv.body = `n${srv.requests}.example\n`), 20);
  await new Promise((r) => setTimeout(r, 5500));
  clearInterval(timer);
  // 1 s ± 10 %: the first fetch at load, then at most 6 refreshes in 5.5 s.
  assert.ok(srv.requests <= 7, `${srv.requests} fetches in 5.5 s`);
  assert.ok(srv.requests >= 4, `${srv.requests} fetches in 5.5 s`);
});
