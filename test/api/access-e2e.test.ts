// Issue 12 item 9, against a running banwall with real curl: who may read the HTTP listener.
// banwall listens on 127.0.0.1 and 127.0.0.2; curl binds other loopback addresses (--interface) to
// play clients inside and outside http.allowedClients, http.metricsClients and proxy.allowedClients,
// and sends the Host header a DNS-rebinding page would make a browser send.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBanwall, testConfig, type RunningBanwall } from '../helpers/banwall.ts';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { curl, type CurlResult } from '../helpers/curl.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('curl');

const TOKEN = 'access-write-token-0123456789';
const READ_TOKEN = 'access-read-token-0123456789';
const ADMIN = '127.0.0.1';
const OUTSIDER = '127.0.0.3';
const SCRAPER = '127.0.0.4';
const DEVICE = '127.0.0.5';

let up: FakeUpstream;
let bw: RunningBanwall;
/** `host:port` of each HTTP listener: 127.0.0.1 and 127.0.0.2. */
let listeners: string[];

before(async () => {
  up = await startFakeUpstream();
  bw = await startBanwall(
    testConfig([up.url], {
      http: {
        listen: ['127.0.0.1:0', '127.0.0.2:0'],
        token: TOKEN,
        readToken: READ_TOKEN,
        allowedClients: ['127.0.0.1/32', '::1'],
        metricsClients: [`${SCRAPER}/32`],
        hosts: ['banwall.test', '*.mgmt.test'],
      },
      proxy: { listen: ['127.0.0.1:0'], allowedClients: [`${ADMIN}/32`, `${DEVICE}/32`] },
    }),
  );
  const started = bw.logs.find((l) => l.msg === 'banwall started') as {
    http: { host: string; port: number }[];
  };
  listeners = started.http.map((a) => `${a.host}:${a.port}`);
  assert.equal(listeners.length, 2);
});

after(async () => {
  await bw?.stop();
  await up?.close();
});

/** curl from `from` (a loopback address) to `url`; extra arguments before the URL. */
function curlFrom(from: string, url: string, extra: string[] = []): Promise<CurlResult> {
  return curl(['--interface', from, ...extra, url], 5000);
}

void test(
  'a client outside http.allowedClients gets 403 on every endpoint, on every listener',
  { skip: TOOLS_SKIP },
  async () => {
    for (const listener of listeners) {
      for (const path of [
        '/api/status',
        '/api/top',
        '/api/explain?name=a.test',
        '/metrics',
        '/readyz',
        '/healthz',
      ]) {
        const r = await curlFrom(OUTSIDER, `http://${listener}${path}`);
        assert.equal(r.status, 403, `${OUTSIDER} → ${listener}${path}: ${r.body}`);
        assert.doesNotMatch(r.body, /127\.0\.0\.1"|uptimeSeconds|banwall_/, 'no data in the refusal');
      }
      // Not even with the right token: the token is no way around the address check.
      const r = await curlFrom(OUTSIDER, `http://${listener}/api/top`, [
        '-H',
        `Authorization: Bearer ${TOKEN}`,
      ]);
      assert.equal(r.status, 403);
      const w = await curlFrom(OUTSIDER, `http://${listener}/api/reload`, [
        '-X',
        'POST',
        '-H',
        `Authorization: Bearer ${TOKEN}`,
      ]);
      assert.equal(w.status, 403);
      assert.equal((await curlFrom(OUTSIDER, `http://${listener}/proxy.pac`)).status, 403);
    }
  },
);

void test(
  'an allowed client on a loopback listener reads the API without a token',
  { skip: TOOLS_SKIP },
  async () => {
    for (const listener of listeners) {
      const r = await curlFrom(ADMIN, `http://${listener}/api/status`);
      assert.equal(r.status, 200, r.body);
      assert.equal((JSON.parse(r.body) as { version: string }).version.length > 0, true);
      assert.equal((await curlFrom(ADMIN, `http://${listener}/api/top`)).status, 200);
    }
    // Writes still need the write token; the read token is not enough.
    const base = `http://${listeners[0]}`;
    assert.equal((await curlFrom(ADMIN, `${base}/api/cache/flush`, ['-X', 'POST'])).status, 401);
    const read = ['-X', 'POST', '-H', `Authorization: Bearer ${READ_TOKEN}`];
    assert.equal((await curlFrom(ADMIN, `${base}/api/cache/flush`, read)).status, 403);
    const write = ['-X', 'POST', '-H', `Authorization: Bearer ${TOKEN}`];
    assert.equal((await curlFrom(ADMIN, `${base}/api/cache/flush`, write)).status, 200);
  },
);

void test(
  'http.metricsClients scrape /metrics, /healthz and /readyz, and nothing else',
  { skip: TOOLS_SKIP },
  async () => {
    const base = `http://${listeners[1]}`;
    const metrics = await curlFrom(SCRAPER, `${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /banwall_build_info/);
    assert.equal((await curlFrom(SCRAPER, `${base}/healthz`)).status, 200);
    assert.ok([200, 503].includes((await curlFrom(SCRAPER, `${base}/readyz`)).status));
    for (const path of ['/api/status', '/api/top', '/proxy.pac']) {
      assert.equal((await curlFrom(SCRAPER, `${base}${path}`)).status, 403, path);
    }
  },
);

void test(
  'the PAC file goes to proxy.allowedClients (devices), and only the PAC file',
  { skip: TOOLS_SKIP },
  async () => {
    const base = `http://${listeners[0]}`;
    const pac = await curlFrom(DEVICE, `${base}/proxy.pac`);
    assert.equal(pac.status, 200);
    assert.match(pac.body, /FindProxyForURL/);
    assert.equal((await curlFrom(DEVICE, `${base}/api/top`)).status, 403);
    assert.equal((await curlFrom(DEVICE, `${base}/metrics`)).status, 403);
  },
);

void test(
  'DNS rebinding: a Host naming another site gets 421, from an allowed client too',
  { skip: TOOLS_SKIP },
  async () => {
    const base = `http://${listeners[0]}`;
    const port = listeners[0].split(':')[1];
    for (const host of [
      `attacker.example:${port}`,
      'attacker.example',
      `evil.banwall.test:${port}`,
      'banwall.test.evil',
    ]) {
      for (const path of ['/api/status', '/api/top', '/metrics', '/readyz']) {
        const r = await curlFrom(ADMIN, `${base}${path}`, ['-H', `Host: ${host}`]);
        assert.equal(r.status, 421, `Host: ${host} ${path}: ${r.body}`);
        assert.doesNotMatch(r.body, /uptimeSeconds|banwall_build_info/);
      }
    }
    // The names it does answer for: IP literals, localhost, http.hosts (exact, and under *.mgmt.test).
    for (const host of [
      listeners[0],
      `127.0.0.2:${port}`,
      `[::1]:${port}`,
      `localhost:${port}`,
      `banwall.test:${port}`,
      'BANWALL.test.',
      `a.mgmt.test:${port}`,
    ]) {
      const r = await curlFrom(ADMIN, `${base}/api/status`, ['-H', `Host: ${host}`]);
      assert.equal(r.status, 200, `Host: ${host}: ${r.body}`);
    }
    // The PAC file answers whatever name a device was given for it.
    assert.equal((await curlFrom(ADMIN, `${base}/proxy.pac`, ['-H', 'Host: wpad.example'])).status, 200);
    // A name resolved by curl itself, as a browser would after rebinding: still refused.
    const rebound = await curlFrom(ADMIN, `http://attacker.example:${port}/api/top`, [
      '--resolve',
      `attacker.example:${port}:127.0.0.1`,
    ]);
    assert.equal(rebound.status, 421);
  },
);
