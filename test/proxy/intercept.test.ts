// Selective TLS interception (issue 16.1) in a real banwall process with the shipped lists, driven by
// the real curl. The test origins are TLS servers on loopback; the one whose certificate comes from a
// test CA is trusted by banwall through NODE_EXTRA_CA_CERTS, the self-signed one is not. The store
// and download names resolve to 127.0.0.1 through the fake upstream DNS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunningBanwall } from '../helpers/banwall.ts';
import { aRecords, startProxiedBanwall, startTrustedOrigin, type ProxiedBanwall } from './banwall-proxy.ts';
import { rawExchange, shippedPolicy, startTlsOrigin, type Origin } from './fixtures.ts';
import { curl } from '../helpers/curl.ts';
import { selfSigned, type Pem } from '../helpers/certs.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('curl', 'openssl');

let stack: ProxiedBanwall;
let bw: RunningBanwall;
let bwCa: Pem;
let originCa: Pem;
let trusted: Origin;
let untrusted: Origin;
let proxy: string;
const run = promisify(execFile);

before(async () => {
  if (TOOLS_SKIP) return; // every test here skips
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-intercept-'));
  const names = ['apps.apple.com', 'dldir1.qq.com', 'allowed.test'];
  ({ bwCa, originCa, origin: trusted } = await startTrustedOrigin(dir, names));
  // play.google.com carries URL rules (Kaspersky listings) but this origin's certificate is its own.
  const self = await selfSigned(['play.google.com'], 'banwall-untrusted-');
  untrusted = await startTlsOrigin({ key: Buffer.from(self.key), cert: Buffer.from(self.cert) });
  await rm(self.dir, { recursive: true, force: true });
  stack = await startProxiedBanwall({
    dir,
    zone: aRecords([...names, 'play.google.com', 'itunes.apple.com']),
    config: await shippedPolicy(dir),
    proxy: { connectPorts: [443, trusted.port, untrusted.port] },
    intercept: { bwCa, originCa },
    closeWith: [trusted, untrusted],
  });
  ({ bw, proxyUrl: proxy } = stack);
});

after(async () => {
  await stack?.close();
});

const url = (host: string, p: string, port = trusted.port) => `https://${host}:${port}${p}`;

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${bw.httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
}

/** The issuer of the server certificate curl saw (`-w %{certs}`), and the HTTP status. */
async function curlIssuer(args: string[]): Promise<{ issuer: string; status: number }> {
  const { stdout } = await run('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '--max-time',
    '10',
    '-w',
    '%{http_code}\n%{certs}',
    ...args,
  ]);
  return {
    status: Number(stdout.split('\n', 1)[0]),
    issuer: /^Issuer:\s*(.*)$/m.exec(stdout)?.[1] ?? '',
  };
}

void test(
  'the WeChat listing gets 403 over TLS, another app’s listing the origin’s page',
  { skip: TOOLS_SKIP },
  async () => {
    const blocked = await curl([
      '--cacert',
      bwCa.certFile,
      '-x',
      proxy,
      '-H',
      'Accept: text/html',
      url('apps.apple.com', '/ca/app/wechat/id414478124'),
    ]);
    assert.equal(blocked.exitCode, 0, 'curl trusted the minted leaf');
    assert.equal(blocked.status, 403);
    assert.match(blocked.headers, /^x-banwall-block: wechat\/app-store\r?$/im);
    assert.match(blocked.body, /WeChat/);
    assert.ok(!trusted.seen.some((s) => s.url.includes('414478124')), 'the origin never saw the blocked URL');

    const other = await curl([
      '--cacert',
      bwCa.certFile,
      '-x',
      proxy,
      url('apps.apple.com', '/ca/app/signal/id874139669'),
    ]);
    assert.equal(other.status, 200);
    const body = JSON.parse(other.body) as { url: string; headers: Record<string, string> };
    assert.equal(body.url, '/ca/app/signal/id874139669');
    assert.equal(body.headers.host, `apps.apple.com:${trusted.port}`);
    assert.match(body.headers.via, /banwall-/);
    // The path is judged as the origin reads it, inside the tunnel too.
    const encoded = await curl([
      '--path-as-is',
      '--cacert',
      bwCa.certFile,
      '-x',
      proxy,
      url('apps.apple.com', '/ca/app/x/..%2Fwechat%2Fid414478124'),
    ]);
    assert.equal(encoded.status, 403);
  },
);

void test(
  'the certificate the client sees for an intercepted host is banwall’s; others are spliced',
  { skip: TOOLS_SKIP },
  async () => {
    const minted = await curlIssuer(['--cacert', bwCa.certFile, '-x', proxy, url('apps.apple.com', '/')]);
    assert.equal(minted.status, 200);
    assert.match(minted.issuer, /banwall test interception CA/);

    // allowed.test carries no URL rule: spliced, so curl sees the origin's own certificate.
    const spliced = await curlIssuer(['--cacert', originCa.certFile, '-x', proxy, url('allowed.test', '/')]);
    assert.equal(spliced.status, 200);
    assert.match(spliced.issuer, /test origin CA/);
    // …and banwall's CA does not vouch for it: nothing was minted.
    const notMinted = await curl(['--cacert', bwCa.certFile, '-x', proxy, url('allowed.test', '/')]);
    assert.equal(notMinted.exitCode, 60, 'curl: the origin certificate is not signed by banwall’s CA');
  },
);

void test(
  'the installer path on the shared download host is refused on HTTPS as on HTTP',
  { skip: TOOLS_SKIP },
  async () => {
    const overTls = await curl([
      '--cacert',
      bwCa.certFile,
      '-x',
      proxy,
      url('dldir1.qq.com', '/weixin/Windows/WeChatSetup.exe'),
    ]);
    assert.equal(overTls.status, 403);
    assert.match(overTls.headers, /^x-banwall-block: wechat\/download\r?$/im);
    const plain = await curl(['-x', proxy, 'http://dldir1.qq.com:8080/weixin/Windows/WeChatSetup.exe']);
    assert.equal(plain.status, 403);
    assert.match(plain.headers, /^x-banwall-block: wechat\/download\r?$/im);
    // The rest of the host is served (QQ's own installers).
    const qq = await curl([
      '--cacert',
      bwCa.certFile,
      '-x',
      proxy,
      url('dldir1.qq.com', '/qqfile/qq/QQ9.7.exe'),
    ]);
    assert.equal(qq.status, 200);
    assert.equal((JSON.parse(qq.body) as { url: string }).url, '/qqfile/qq/QQ9.7.exe');
    assert.ok((await metric('banwall_proxy_requests_total{kind="https",result="blocked"}')) >= 2);
  },
);

void test(
  'an origin whose certificate does not verify is refused and nothing is minted for it',
  { skip: TOOLS_SKIP },
  async () => {
    const mintedBefore = await metric('banwall_proxy_intercept_leaves_minted_total');
    const r = await curl([
      '--cacert',
      bwCa.certFile,
      '-x',
      proxy,
      url('play.google.com', '/store/apps/details?id=org.example', untrusted.port),
    ]);
    assert.match(r.headers, /^HTTP\/1\.1 502 /, 'the CONNECT is answered 502');
    assert.notEqual(r.exitCode, 0);
    assert.equal(untrusted.seen.length, 0, 'no request reached the untrusted origin');
    assert.equal(await metric('banwall_proxy_intercept_leaves_minted_total'), mintedBefore);
    assert.equal(await metric('banwall_proxy_intercept_total{class="url-rules",result="untrusted"}'), 1);

    // A certificate from a trusted CA but for other names: refused the same way.
    const seenBefore = trusted.seen.length;
    const authority = `itunes.apple.com:${trusted.port}`;
    const wrongName = await rawExchange(
      bw.proxyPort!,
      `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`,
    );
    assert.match(wrongName, /^HTTP\/1\.1 502 /);
    assert.match(wrongName, /ERR_TLS_CERT_ALTNAME_INVALID/, 'the page says why');
    assert.equal(trusted.seen.length, seenBefore);
    assert.equal(await metric('banwall_proxy_intercept_leaves_minted_total'), mintedBefore);
    assert.equal(await metric('banwall_proxy_intercept_total{class="url-rules",result="untrusted"}'), 2);
  },
);

void test(
  'a client that does not trust banwall’s CA (or pins) fails closed, and it is counted',
  { skip: TOOLS_SKIP },
  async () => {
    const r = await curl(['-x', proxy, url('apps.apple.com', '/ca/app/signal/id874139669')]);
    assert.equal(r.exitCode, 60, 'curl refuses the minted leaf without the CA');
    assert.ok(
      (await metric('banwall_proxy_intercept_total{class="url-rules",result="client-refused"}')) >= 1,
    );
  },
);

/** CONNECT `connectHost`, then TLS with `servername`; resolves with what happened. */
function connectWithSni(connectHost: string, servername: string): Promise<'closed' | 'secure'> {
  return new Promise((resolve) => {
    const s = net.connect(bw.proxyPort!, '127.0.0.1', () =>
      s.write(
        `CONNECT ${connectHost}:${trusted.port} HTTP/1.1\r\nHost: ${connectHost}:${trusted.port}\r\n\r\n`,
      ),
    );
    s.once('data', (d) => {
      if (!d.toString('latin1').startsWith('HTTP/1.1 200')) return resolve('closed');
      const t = tls.connect({ socket: s, servername, ca: [bwCa.cert, originCa.cert] });
      t.once('secureConnect', () => {
        t.destroy();
        resolve('secure');
      });
      t.once('error', () => resolve('closed'));
      t.once('close', () => resolve('closed'));
    });
    s.once('error', () => resolve('closed'));
    setTimeout(() => resolve('closed'), 5000).unref();
  });
}

void test(
  'a hello naming another host cannot carry an intercepted host’s URLs',
  { skip: TOOLS_SKIP },
  async () => {
    // A decrypted tunnel to apps.apple.com with another name in the hello: closed (the leaf is for the
    // CONNECT's name only).
    assert.equal(await connectWithSni('apps.apple.com', 'allowed.test'), 'closed');
    // A spliced tunnel whose hello names an intercepted host (fronting): closed too.
    assert.equal(await connectWithSni('allowed.test', 'apps.apple.com'), 'closed');
    assert.ok((await metric('banwall_proxy_intercept_total{class="url-rules",result="mismatch"}')) >= 1);
    // The matching name works.
    assert.equal(await connectWithSni('apps.apple.com', 'apps.apple.com'), 'secure');
  },
);

void test(
  'inside the tunnel, a request for another host is refused (421)',
  { skip: TOOLS_SKIP },
  async () => {
    const r = await curl([
      '--cacert',
      bwCa.certFile,
      '-x',
      proxy,
      '-H',
      'Host: dldir1.qq.com',
      url('apps.apple.com', '/weixin/WeChatSetup.exe'),
    ]);
    assert.equal(r.status, 421);
  },
);

/** Sends one request on an open TLS tunnel and reads its whole response (Content-Length framed). */
function exchange(t: tls.TLSSocket, head: string, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const h = buf.toString('latin1', 0, end);
      const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(h)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      t.off('data', onData);
      resolve({ status: Number(h.slice(9, 12)), body: buf.toString('utf8', end + 4, end + 4 + len) });
    };
    t.on('data', onData);
    t.once('error', reject);
    t.write(head + body);
  });
}

void test(
  'one decrypted tunnel: a 403 keeps it open, the next request (a POST with a body) reaches the origin',
  { skip: TOOLS_SKIP },
  async () => {
    const authority = `apps.apple.com:${trusted.port}`;
    const s = net.connect(bw.proxyPort!, '127.0.0.1');
    await new Promise<void>((resolve) => s.once('connect', resolve));
    s.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
    await new Promise<void>((resolve) => s.once('data', () => resolve()));
    const t = tls.connect({
      socket: s,
      servername: 'apps.apple.com',
      ca: bwCa.cert,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    await new Promise<void>((resolve, reject) => {
      t.once('secureConnect', resolve);
      t.once('error', reject);
    });
    try {
      assert.equal(t.alpnProtocol, 'http/1.1', 'only HTTP/1.1 is offered inside the tunnel');
      const blocked = await exchange(
        t,
        `GET /us/app/wechat/id414478124?l=fr HTTP/1.1\r\nHost: ${authority}\r\n\r\n`,
      );
      assert.equal(blocked.status, 403);
      const posted = await exchange(
        t,
        `POST /ca/app/signal/id874139669 HTTP/1.1\r\nHost: ${authority}\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n`,
        'hello',
      );
      assert.equal(posted.status, 200);
      const seen = JSON.parse(posted.body) as { method: string; body: string };
      assert.equal(seen.method, 'POST');
      assert.equal(seen.body, 'hello');
      const again = await exchange(
        t,
        `GET /ca/app/wechat/id414478124 HTTP/1.1\r\nHost: ${authority}\r\n\r\n`,
      );
      assert.equal(again.status, 403, 'every request in the tunnel is judged, not only the first');
    } finally {
      t.destroy();
    }
  },
);
