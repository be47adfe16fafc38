// The cache link alone, with a controllable clock (query.received) and a counting next link: hits,
// keys, TTL clamps, negative caching, what is never cached, serve-stale, prefetch, bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CachingResolver } from '../../../src/dns/cache/caching-resolver.ts';
import { registerCacheMetrics } from '../../../src/dns/cache/metrics.ts';
import { registry } from '../../../src/metrics/registry.ts';
import { DnsStats } from '../../../src/dns/stats/dns-stats.ts';
import { parseQuery } from '../../../src/dns/wire/parse-query.ts';
import { encodeReply } from '../../../src/dns/wire/encode-reply.ts';
import type { DnsAnswer, DnsQuery } from '../../../src/dns/resolver.ts';
import { StubResolver, dnsConfig } from '../../helpers/dns-server.ts';
import { queryPacket } from '../../helpers/dns-query.ts';

function query(name: string, type = 1, at = 0, doBit = false): DnsQuery {
  const q = parseQuery(queryPacket(name, type, doBit ? { edns: { do: true } } : {}), '127.0.0.1', 'udp', at);
  assert.ok(q !== null && 'name' in q);
  return q as DnsQuery;
}

function cache(next: StubResolver, cacheCfg: Record<string, unknown> = {}) {
  return new CachingResolver(next, dnsConfig({ cache: cacheCfg }).cache, new DnsStats());
}

async function ask(c: CachingResolver, q: DnsQuery): Promise<DnsAnswer> {
  return await c.resolve(q);
}

/** TTLs the client would see (the reply has the wire's layout: same question length). */
function ttls(q: DnsQuery, a: DnsAnswer): number[] {
  const out = encodeReply(q, a, 65535, 0);
  return [...(a.ttlOffsets ?? [])].map((o) => out.readUInt32BE(o));
}

function upstream() {
  return new StubResolver()
    .add('a.test', { type: 1, address: '192.0.2.1', ttl: 300 })
    .add('short.test', { type: 1, address: '192.0.2.2', ttl: 2 })
    .add('long.test', { type: 1, address: '192.0.2.3', ttl: 7 * 86400 })
    .add('empty.test', { type: 16, data: 'only TXT' });
}

void test('a second query is a synchronous hit with TTLs lowered by the time spent in the cache', async () => {
  const up = upstream();
  const c = cache(up);
  const first = await ask(c, query('a.test', 1, 1000));
  assert.equal(first.result, 'allowed');
  const hit = c.resolve(query('A.TEST', 1, 11_500));
  assert.ok(!(hit instanceof Promise), 'hits are synchronous');
  assert.equal(hit.result, 'cached');
  assert.equal(hit.ttlElapsed, 10);
  assert.equal(
    hit.wire,
    (c.resolve(query('a.test', 1, 12_000)) as DnsAnswer).wire,
    'the stored wire is shared',
  );
  assert.deepEqual(ttls(query('a.test'), hit), [290]);
  assert.equal(up.seen.length, 1);
  assert.deepEqual(c.stats(), {
    hits: 2,
    misses: 1,
    stale: 0,
    prefetches: 0,
    entries: 1,
    bytes: c.size.bytes,
  });
});

void test('the key is name + type + class + DO and CD bits', async () => {
  const up = upstream();
  const c = cache(up);
  await ask(c, query('a.test', 1));
  await ask(c, query('a.test', 28));
  await ask(c, query('a.test', 1, 0, true));
  assert.equal(up.seen.length, 3);
  await ask(c, query('a.test', 1, 0, true));
  assert.equal(up.seen.length, 3);
  // CD: an answer the upstream did not validate is not served to a client that wants validation.
  await ask(c, { ...query('a.test', 1), cd: true });
  assert.equal(up.seen.length, 4);
  await ask(c, { ...query('a.test', 1), cd: true });
  await ask(c, query('a.test', 1));
  assert.equal(up.seen.length, 4);
  // Class is part of the key too.
  await ask(c, { ...query('a.test', 1), qclass: 3 });
  assert.equal(up.seen.length, 5);
});

void test('entries expire after their TTL', async () => {
  const up = upstream();
  const c = cache(up);
  await ask(c, query('short.test', 1, 0));
  assert.equal((await ask(c, query('short.test', 1, 1900))).result, 'cached');
  assert.equal((await ask(c, query('short.test', 1, 2100))).result, 'allowed');
  assert.equal(up.seen.length, 2);
});

void test('maxTtl and minTtl clamp the entry and the TTLs clients see', async () => {
  const up = upstream();
  const c = cache(up, { maxTtl: '1d', minTtl: '60s' });
  await ask(c, query('long.test'));
  const hit = await ask(c, query('long.test', 1, 1000));
  assert.deepEqual(ttls(query('long.test'), hit), [86400 - 1]);
  await ask(c, query('short.test'));
  const shortHit = await ask(c, query('short.test', 1, 30_000));
  assert.equal(shortHit.result, 'cached', 'kept for minTtl');
  assert.deepEqual(ttls(query('short.test'), shortHit), [30]);
  assert.equal(up.seen.length, 2);
});

void test('negative answers (NXDOMAIN, NODATA) are cached for the SOA TTL, capped by negativeTtl', async () => {
  const up = upstream();
  const c = cache(up, { negativeTtl: '30s' });
  assert.equal((await ask(c, query('nx.test'))).wire[3] & 0x0f, 3);
  const nx = await ask(c, query('nx.test', 1, 29_000));
  assert.equal(nx.result, 'cached');
  assert.equal(nx.wire[3] & 0x0f, 3);
  assert.deepEqual(ttls(query('nx.test'), nx), [1], 'SOA TTL 60 capped to 30, minus 29 s');
  assert.equal((await ask(c, query('nx.test', 1, 31_000))).result, 'allowed');
  await ask(c, query('empty.test', 1));
  assert.equal((await ask(c, query('empty.test', 1, 1000))).result, 'cached');
  assert.equal(up.seen.length, 3);
});

void test('never caches SERVFAIL, refusals or blocks', async () => {
  const up = upstream();
  up.servfail = true;
  const c = cache(up);
  await ask(c, query('a.test'));
  await ask(c, query('a.test'));
  assert.equal(up.seen.length, 2);
  const blocked = {
    resolve: () => ({ ...up.answer(query('a.test')), result: 'blocked' as const }),
  };
  const c2 = new CachingResolver(blocked, dnsConfig().cache, new DnsStats());
  void c2.resolve(query('a.test'));
  assert.equal(c2.size.entries, 0);
});

void test('serve-stale: an expired entry is answered (TTL 30, EDE 3) when the upstream fails or rejects', async () => {
  const up = upstream();
  const c = cache(up, { serveStale: '1h' });
  await ask(c, query('short.test', 1, 0));
  up.servfail = true;
  const stale = await ask(c, query('short.test', 1, 10_000));
  assert.equal(stale.result, 'stale');
  assert.equal(stale.ttlFixed, 30);
  assert.equal(stale.ede?.code, 3);
  assert.deepEqual(ttls(query('short.test'), stale), [30]);
  // Within 30 s of that failure (RFC 8767 failure recheck), stale at once without asking upstream.
  const asked = up.seen.length;
  const quick = c.resolve(query('short.test', 1, 20_000));
  assert.ok(!(quick instanceof Promise) && quick.result === 'stale');
  assert.equal(up.seen.length, asked);
  up.servfail = false;
  up.reject = true;
  assert.equal((await ask(c, query('short.test', 1, 41_000))).result, 'stale');
  // Past the window: nothing to serve, the failure goes up.
  await assert.rejects(async () => ask(c, query('short.test', 1, 3_700_000)));
  up.reject = false;
  // Once the upstream answers again, the fresh answer replaces the stale one.
  assert.equal((await ask(c, query('short.test', 1, 3_800_000))).result, 'allowed');
  assert.equal(c.stats().stale, 3);
});

void test('prefetch: a name hit often and about to expire is refreshed once in the background', async () => {
  const up = upstream();
  const c = cache(up, { prefetch: { minHits: 2, threshold: 0.1 } });
  await ask(c, query('a.test', 1, 0));
  void c.resolve(query('a.test', 1, 1000));
  void c.resolve(query('a.test', 1, 2000));
  assert.equal(up.seen.length, 1, 'not yet near expiry');
  up.delays.set('a.test', 20);
  // 280 s of 300: less than 10 % left.
  const hit = c.resolve(query('a.test', 1, 280_000));
  assert.ok(!(hit instanceof Promise) && hit.result === 'cached', 'the client is answered from the cache');
  void c.resolve(query('a.test', 1, 281_000));
  assert.equal(up.seen.length, 2, 'one refresh, not two');
  assert.equal(up.seen[1].protocol, 'internal');
  await new Promise((r) => setTimeout(r, 50));
  const after = c.resolve(query('a.test', 1, 290_000));
  assert.ok(!(after instanceof Promise));
  assert.equal(after.ttlElapsed, 10, 'the refreshed entry is young');
  assert.equal(c.stats().prefetches, 1);
});

void test('bounded by entries and by bytes', async () => {
  const up = new StubResolver();
  for (let i = 0; i < 50; i++) up.add(`n${i}.test`, { type: 16, data: 'y'.repeat(200) });
  const byCount = cache(up, { maxEntries: 10 });
  for (let i = 0; i < 50; i++) await ask(byCount, query(`n${i}.test`, 16));
  assert.equal(byCount.size.entries, 10);
  const byBytes = cache(up, { maxBytes: 4096 });
  for (let i = 0; i < 50; i++) await ask(byBytes, query(`n${i}.test`, 16));
  assert.ok(byBytes.size.bytes <= 4096);
  assert.ok(byBytes.size.entries > 0 && byBytes.size.entries < 50);
  byBytes.flush();
  assert.equal(byBytes.size.entries, 0);
});

void test('disabled: every query goes to the next link', async () => {
  const up = upstream();
  const c = cache(up, { enabled: false });
  await ask(c, query('a.test'));
  await ask(c, query('a.test'));
  assert.equal(up.seen.length, 2);
});

void test('metrics: registerCacheMetrics publishes the counters at scrape time', async () => {
  const up = upstream();
  const c = cache(up);
  registerCacheMetrics(c);
  await ask(c, query('a.test'));
  await ask(c, query('a.test'));
  const text = await registry.metrics();
  assert.match(text, /^banwall_dns_cache_hits_total 1$/m);
  assert.match(text, /^banwall_dns_cache_misses_total 1$/m);
  assert.match(text, /^banwall_dns_cache_entries 1$/m);
  assert.match(text, /^banwall_dns_cache_bytes \d+$/m);
  assert.match(text, /^banwall_dns_prefetches_total 0$/m);
});
