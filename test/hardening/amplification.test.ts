// A large answer to a UDP client without a DNS cookie is truncated (TC) at 1232 bytes with EDNS and
// at 512 without, so a spoofed source address cannot turn banwall into an amplifier; TCP gets it whole.
import { describe, before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.ts';
import { startBanwall, testConfig, type RunningBanwall } from '../helpers/banwall.ts';
import { dig } from '../helpers/dig.ts';

const size = (raw: string) => Number(/MSG SIZE\s+rcvd: (\d+)/.exec(raw)?.[1]);
const TXT = Array.from({ length: 40 }, (_, i) => ({
  type: 'TXT' as const,
  data: `record ${i} ${'x'.repeat(60)}`,
}));

void describe('amplification cap', () => {
  let up: FakeUpstream;
  let bw: RunningBanwall;
  before(async () => {
    up = await startFakeUpstream({ zone: { 'big.test': TXT } });
    bw = await startBanwall(testConfig([up.url]));
    // Warm the cache over TCP, so every UDP ask below is answered from the same ~3 KB answer.
    const full = await dig(bw.dnsPort, 'big.test', 'TXT', ['+tcp']);
    assert.equal(full.answers.length, 40);
    assert.ok(size(full.raw) > 2500, `answer is large (${size(full.raw)} bytes)`);
  });
  after(async () => {
    await bw.stop();
    await up.close();
  });

  void it('caps an EDNS client without a cookie at 1232 bytes, TC set', async () => {
    const r = await dig(bw.dnsPort, 'big.test', 'TXT', ['+bufsize=4096', '+nocookie', '+ignore']);
    assert.ok(r.flags.includes('tc'), `TC set: ${r.flags.join(' ')}`);
    assert.ok(size(r.raw) <= 1232, `reply ${size(r.raw)} bytes`);
  });

  void it('caps a client without EDNS at 512 bytes, TC set', async () => {
    const r = await dig(bw.dnsPort, 'big.test', 'TXT', ['+noedns', '+ignore']);
    assert.ok(r.flags.includes('tc'));
    assert.ok(size(r.raw) <= 512, `reply ${size(r.raw)} bytes`);
  });

  void it('honours a smaller EDNS size than 1232', async () => {
    const r = await dig(bw.dnsPort, 'big.test', 'TXT', ['+bufsize=800', '+nocookie', '+ignore']);
    assert.ok(r.flags.includes('tc'));
    assert.ok(size(r.raw) <= 800, `reply ${size(r.raw)} bytes`);
  });
});
