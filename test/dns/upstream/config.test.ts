// Upstream URL conventions: IP literals only (banwall never resolves its own upstreams), the TLS
// name after '#', and errors that say what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from '../../../src/config/schema.ts';
import { parseUpstreamUrl } from '../../../src/dns/upstream/upstream-url.ts';

function errors(upstreams: unknown[]): string[] {
  const r = configSchema.safeParse({ dns: { upstreams } });
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

void test('accepted forms, with default ports and paths', () => {
  assert.deepEqual(errors(['udp://9.9.9.9', 'tcp://[2620:fe::fe]:5353']), []);
  assert.deepEqual(parseUpstreamUrl('tls://149.112.121.10#private.canadianshield.cira.ca'), {
    url: 'tls://149.112.121.10#private.canadianshield.cira.ca',
    protocol: 'tls',
    host: '149.112.121.10',
    port: 853,
    servername: 'private.canadianshield.cira.ca',
    path: '',
  });
  const doh = parseUpstreamUrl('https://[2620:10a:80bb::10]/dns-query#private.canadianshield.cira.ca');
  assert.equal(typeof doh, 'object');
  assert.equal((doh as { port: number }).port, 443);
  assert.equal((doh as { host: string }).host, '2620:10a:80bb::10');
  assert.equal(
    (parseUpstreamUrl('https://1.1.1.1#cloudflare-dns.com') as { path: string }).path,
    '/dns-query',
  );
});

void test('rejected forms name the key and say why', () => {
  const [missingSlash] = errors(['udp//9.9.9.9']);
  assert.match(missingSlash, /^dns\.upstreams\.0: "udp\/\/9\.9\.9\.9" is not an upstream URL/);
  assert.match(errors(['ftp://9.9.9.9'])[0], /unknown scheme "ftp:\/\/"/);
  assert.match(
    errors(['udp://dns.quad9.net'])[0],
    /must be an IP address.*must not resolve its own upstreams/,
  );
  assert.match(errors(['tls://9.9.9.9'])[0], /needs its TLS name after "#"/);
  assert.match(errors(['https://9.9.9.9/dns-query'])[0], /needs its TLS name after "#"/);
  assert.match(errors(['udp://9.9.9.9:70000'])[0], /out of range/);
  assert.match(errors(['udp://2620:fe::fe'])[0], /not an upstream URL|brackets/);
  assert.match(errors(['udp://9.9.9.9#name'])[0], /takes no #servername/);
  assert.match(errors(['udp://9.9.9.9', 'udp://x'])[0], /^dns\.upstreams\.1:/);
});

void test('forward zones are validated and normalised', () => {
  const r = configSchema.safeParse({
    dns: { upstreams: ['udp://9.9.9.9'], forward: { 'Corp.Example.': ['udp://10.0.0.53'] } },
  });
  assert.ok(r.success);
  assert.deepEqual(r.data.dns.forward, { 'corp.example': ['udp://10.0.0.53'] });
  const bad = configSchema.safeParse({
    dns: { upstreams: ['udp://9.9.9.9'], forward: { corp: ['dc1.corp'] } },
  });
  assert.ok(!bad.success);
  assert.match(bad.error.issues[0].path.join('.'), /^dns\.forward\.corp\.0$/);
});
