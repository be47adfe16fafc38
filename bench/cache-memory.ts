// Memory per DNS cache entry: heap and RSS per entry against what the cache counts toward maxBytes,
// and the overhead beyond the answer's own wire bytes (issue 17 target: <= 300 B).
// node --expose-gc --max-semi-space-size=1 bench/cache-memory.ts [N]
// (a small young generation: else V8 keeps tens of MB of it after this loop's garbage, which RSS
// shows as hundreds of bytes "per entry" that no entry holds; heapUsed and external are exact either way)
import dns2 from 'dns2';
import { CachingResolver } from '../src/dns/cache/caching-resolver.ts';
import { readAnswer } from '../src/dns/wire/answer-facts.ts';
import { parseQuery } from '../src/dns/wire/parse-query.ts';
import { configSchema } from '../src/config/schema.ts';
const { Packet } = dns2;
const N = Number(process.argv[2] ?? 100000);
// A cache sized for exactly N entries: a full cache, the state a busy resolver lives in (a cache
// sized far above N would spread N entries over a mostly empty hash table and count its pages).
const cfg = configSchema.parse({
  dns: { upstreams: ['udp://127.0.0.1'], cache: { maxEntries: N, maxBytes: '1GiB' } },
});
let i = 0;
let wireBytes = 0;
const next = {
  resolve(q: { packet: Buffer; name: string }) {
    const req = Packet.parse(q.packet);
    const res = new Packet(req);
    res.header.qr = 1;
    res.answers.push({ name: q.name, type: 1, class: 1, ttl: 300, address: '192.0.2.' + (i % 250) } as never);
    const wire = res.toBuffer();
    const a = readAnswer(wire)!;
    wireBytes += a.wire.length;
    return { ...a, wire: a.wire, result: 'allowed' } as never;
  },
};
const cache = new CachingResolver(next as never, cfg.dns.cache, {} as never);
const mk = (name: string) => {
  const p = new Packet();
  p.header.id = 1;
  p.header.rd = 1;
  p.questions.push({ name, type: 1, class: 1 } as never);
  return p.toBuffer();
};
// The same loop through a disabled cache first: the heap the query/answer garbage needs is then part
// of the baseline, and the difference is what the entries hold.
const off = configSchema.parse({ dns: { upstreams: ['udp://127.0.0.1'], cache: { enabled: false } } });
const warm = new CachingResolver(next as never, off.dns.cache, {} as never);
for (let w = 0; w < N; w++) {
  const q = parseQuery(mk(`warm${w}.example.test`), '127.0.0.1', 'udp', performance.now());
  await warm.resolve(q as never);
}
wireBytes = 0;
globalThis.gc!();
globalThis.gc!();
globalThis.gc!();
const m0 = process.memoryUsage();
for (; i < N; i++) {
  const q = parseQuery(mk(`host${i}.example.test`), '127.0.0.1', 'udp', performance.now());
  await cache.resolve(q as never);
}
globalThis.gc!();
globalThis.gc!();
globalThis.gc!();
const m1 = process.memoryUsage();
console.log(
  'entries',
  cache.size,
  'per entry: rss',
  Math.round((m1.rss - m0.rss) / N),
  'heapTotal',
  Math.round((m1.heapTotal - m0.heapTotal) / N),
  'heap',
  Math.round((m1.heapUsed - m0.heapUsed) / N),
  'external',
  Math.round((m1.external - m0.external) / N),
  'counted',
  Math.round(cache.size.bytes / N),
  'wire',
  Math.round(wireBytes / N),
  'overhead (rss - wire)',
  Math.round((m1.rss - m0.rss - wireBytes) / N),
);
