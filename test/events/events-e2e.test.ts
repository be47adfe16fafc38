// Every block on record, end to end: blocked DNS queries over UDP, TCP and DoH and proxy blocks over
// plain HTTP and CONNECT, from several loopback client addresses, are found in the event store with
// every field through GET /api/events filtered by client and by app, and are still there after a
// restart; the query-log file gets the proxy's blocks too.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBanwall } from '../helpers/banwall.ts';
import { banwallSuite } from '../helpers/banwall-suite.ts';
import { encryptedPorts, listenerCert } from '../helpers/encrypted-listeners.ts';
import { dig, kdigEncrypted } from '../helpers/dig.ts';
import type { TestCa } from '../helpers/certs.ts';
import { curl } from '../helpers/curl.ts';
import { hasTool, missingTools } from '../helpers/tools.ts';
import type { StoredEvent } from '../../src/events/search.ts';

/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('curl', 'openssl', 'dig', 'kdig');

const run = promisify(execFile);

/** What GET /api/events returns per row: the stored event, its time in epoch ms. */
type ApiEvent = StoredEvent;

/** Each field of `expected` equals the event's (the failure names the field). */
function assertFields(e: ApiEvent, expected: Partial<ApiEvent>): void {
  for (const [field, value] of Object.entries(expected)) {
    assert.equal(e[field as keyof ApiEvent], value, field);
  }
}

void describe('the event store of a running banwall', { skip: TOOLS_SKIP }, () => {
  let ca: TestCa;
  let dir: string;
  let dohPort: number;

  const suite = banwallSuite(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'banwall-events-e2e-'));
    ca = await listenerCert(dir);
    await writeFile(path.join(dir, 'wechat.txt'), 'weixin.example\nurl =files.example /weixin/\n');
    await writeFile(path.join(dir, 'kaspersky.txt'), 'kaspersky.example\n');
    return {
      upstream: { zone: { 'www.example': [{ type: 'A', data: '192.0.2.10' }] } },
      config: {
        dns: { doh: { listen: ['127.0.0.1:0'], cert: 'tls.crt', key: 'tls.key' } },
        lists: [
          { name: 'wechat-core', app: 'wechat', category: 'core', source: 'wechat.txt' },
          { name: 'kaspersky-core', app: 'kaspersky', category: 'core', source: 'kaspersky.txt' },
        ],
        groups: [{ name: 'default', lists: ['wechat-core', 'kaspersky-core'] }],
        proxy: { listen: ['127.0.0.1:0'], auth: { users: { alice: 'correct-horse-battery' } } },
        queryLog: { enabled: true, target: 'query.log' },
        events: { store: { path: 'events.db', flushInterval: '100ms' } },
      },
      start: { dir },
    };
  });

  before(async () => {
    dohPort = (await encryptedPorts(suite.bw)).doh!;
  });

  const api = async (q: string): Promise<{ events: ApiEvent[]; next?: number }> => {
    const res = await fetch(`http://127.0.0.1:${suite.bw.httpPort}/api/events?${q}`);
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { events: ApiEvent[] };
  };

  /** Waits for the writer thread's next flush to make `n` events searchable. */
  const waitForEvents = async (q: string, n: number): Promise<ApiEvent[]> => {
    let got: ApiEvent[] = [];
    for (let i = 0; i < 100; i++) {
      got = (await api(q)).events;
      if (got.length >= n) return got;
      await sleep(100);
    }
    return got;
  };

  void it(
    'records DNS blocks over UDP, TCP and DoH with every field, by client and app',
    { skip: TOOLS_SKIP },
    async (t) => {
      assert.equal(
        (await dig(suite.bw.dnsPort, 'weixin.example', 'A', ['-b', '127.0.0.2'])).status,
        'NXDOMAIN',
      );
      assert.equal(
        (await dig(suite.bw.dnsPort, 'kaspersky.example', 'AAAA', ['-b', '127.0.0.3', '+tcp'])).status,
        'NXDOMAIN',
      );
      assert.equal((await dig(suite.bw.dnsPort, 'www.example', 'A', ['-b', '127.0.0.2'])).status, 'NOERROR');
      if (hasTool('kdig')) {
        const r = await kdigEncrypted('https', dohPort, 'weixin.example', 'A', ca.certFile, [
          '-b',
          '127.0.0.4',
        ]);
        assert.equal(r.status, 'NXDOMAIN');
      } else {
        t.diagnostic('kdig not installed: the DoH case is skipped');
      }
      const byClient = await waitForEvents('client=127.0.0.2', 1);
      assert.equal(byClient.length, 1, 'the allowed query is not recorded');
      const e = byClient[0];
      assertFields(e, {
        layer: 'dns',
        protocol: 'udp',
        target: 'weixin.example',
        kind: 'A',
        decision: 'blocked',
        app: 'wechat',
        category: 'core',
        list: 'wechat-core',
        group: 'default',
        rule: 'weixin.example',
      });
      assert.match(e.source, /wechat\.txt:1$/);
      assert.equal(e.answer, 'NXDOMAIN EDE 15');
      assert.ok(e.durationMs >= 0 && e.durationMs < 5000);
      assert.ok(Math.abs(e.time - Date.now()) < 60_000);
      const tcp = await waitForEvents('app=kaspersky', 1);
      assert.deepEqual(
        tcp.map((x) => [x.client, x.protocol, x.kind]),
        [['127.0.0.3', 'tcp', 'AAAA']],
      );
      if (hasTool('kdig')) {
        const doh = await waitForEvents('client=127.0.0.4', 1);
        assert.equal(doh[0]?.protocol, 'doh');
      }
      assert.equal((await api('client=127.0.0.0/30&app=wechat')).events.length, 1);
    },
  );

  void it(
    'records proxy blocks over plain HTTP and CONNECT with the user, method and URL',
    { skip: TOOLS_SKIP },
    async () => {
      const proxy = `http://127.0.0.1:${suite.bw.proxyPort}`;
      const http = await curl([
        '-x',
        proxy,
        '--proxy-user',
        'alice:correct-horse-battery',
        '--interface',
        '127.0.0.5',
        'http://files.example/weixin/WeChatSetup.exe',
      ]);
      assert.equal(http.status, 403);
      const tunnel = await curl([
        '-x',
        proxy,
        '--proxy-user',
        'alice:correct-horse-battery',
        '--interface',
        '127.0.0.6',
        'https://kaspersky.example/',
      ]);
      assert.match(tunnel.headers, /^HTTP\/1\.1 403/);
      const [h] = await waitForEvents('client=127.0.0.5', 1);
      assertFields(h, {
        layer: 'proxy',
        protocol: 'http',
        kind: 'GET',
        target: 'files.example/weixin/WeChatSetup.exe',
        identity: 'alice',
        answer: '403',
        app: 'wechat',
        rule: 'url =files.example /weixin/',
      });
      const [c] = await waitForEvents('client=127.0.0.6&layer=proxy', 1);
      assert.deepEqual(
        [c.protocol, c.kind, c.target, c.app],
        ['connect', 'CONNECT', 'kaspersky.example:443', 'kaspersky'],
      );
      const found = await api('q=WeChatSetup');
      assert.equal(found.events.length, 1);
      const summary = (await (
        await fetch(`http://127.0.0.1:${suite.bw.httpPort}/api/events/summary?by=app`)
      ).json()) as { counts: { key: string; count: number }[] };
      assert.deepEqual(Object.fromEntries(summary.counts.map((c) => [c.key, c.count])), {
        wechat: hasTool('kdig') ? 3 : 2,
        kaspersky: 2,
      });
      const csv = await (
        await fetch(`http://127.0.0.1:${suite.bw.httpPort}/api/events/export?format=csv&layer=proxy`)
      ).text();
      assert.equal(csv.trim().split('\r\n').length, 3, csv);
      // The query-log file has the proxy's blocks beside the resolver's.
      await sleep(200);
      const lines = (await readFile(path.join(dir, 'query.log'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { layer: string });
      assert.ok(lines.some((l) => l.layer === 'proxy'));
    },
  );

  void it('keeps every committed event across a restart', { skip: TOOLS_SKIP }, async () => {
    const before = (await api('limit=1000')).events.length;
    assert.ok(before >= 4);
    assert.equal(await suite.bw.stop(), 0);
    suite.bw = await startBanwall(suite.config, { dir });
    const after = (await api('limit=1000')).events;
    assert.equal(after.length, before);
    assert.ok(after.some((e) => e.client === '127.0.0.6'));
  });

  void it('banwall events searches the same store from the command line', { skip: TOOLS_SKIP }, async (t) => {
    const { stdout } = await run(
      process.execPath,
      [
        path.resolve('bin/banwall.js'),
        'events',
        '--config',
        suite.bw.configFile,
        '--client',
        '127.0.0.5',
        '--format',
        'ndjson',
      ],
      { timeout: 20_000 },
    ).catch((err: { stdout?: string; stderr?: string }) => {
      t.diagnostic(err.stderr ?? '');
      return { stdout: err.stdout ?? '' };
    });
    const rows = stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ApiEvent);
    assert.deepEqual(
      rows.map((r) => [r.client, r.layer, r.identity]),
      [['127.0.0.5', 'proxy', 'alice']],
    );
  });
});
