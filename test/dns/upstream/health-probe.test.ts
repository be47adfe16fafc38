// The active health probes of the upstream link (issue 13, /readyz): only the main upstreams are
// probed, with `. NS`, never more than one probe in flight per upstream, and `answering` follows them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeUpstream } from '../../helpers/fake-upstream/dns.ts';
import { resolver } from './upstream-helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void test('main upstreams are probed from start; forward zones are not; answering follows the probes', async () => {
  const main = await startFakeUpstream();
  const zone = await startFakeUpstream();
  const r = resolver({
    upstreams: [main.url],
    forward: { 'corp.internal': [zone.url] },
    timeout: '2s',
    healthProbe: { interval: '200ms' },
  });
  try {
    assert.equal(r.health()[0].answering, false, 'nothing answered before probing starts');
    r.startHealthProbe();
    for (let i = 0; i < 40 && !r.health()[0].answering; i++) await sleep(25);
    assert.equal(r.health().find((h) => h.url === main.url)?.answering, true);
    assert.equal(r.health().find((h) => h.url === zone.url)?.answering, false);
    await sleep(700);
    assert.ok(main.queries.length >= 3, `${main.queries.length} probes in ~0.9 s at 200 ms`);
    assert.ok(main.queries.every((q) => q.name === '' && q.type === 2));
    assert.equal(zone.queries.length, 0, 'forward-zone upstreams are not probed');

    // Silent, with dns.timeout (2 s) far above the interval: still one probe in flight, no pile-up.
    main.mode = 'silent';
    const before = main.queries.length;
    await sleep(1000);
    assert.ok(main.queries.length - before <= 2, `${main.queries.length - before} probes while silent`);
    assert.equal(r.health()[0].answering, false, 'not answering 1 s (5 intervals) after going silent');

    await r.close();
    const closed = main.queries.length;
    await sleep(400);
    assert.equal(main.queries.length, closed, 'no probe after close');
  } finally {
    await r.close();
    await main.close();
    await zone.close();
  }
});
