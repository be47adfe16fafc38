// Header flags as real dig and kdig see them (issue 13, "RA is missing"): with an authoritative-style
// upstream (AA set, RA clear), every reply banwall sends has RA and never AA, whatever the answer:
// forwarded, cached, blocked, refused, FORMERR, NOTIMP, SERVFAIL. AD passes only to a client that set
// AD or DO (RFC 6840 §5.7, §5.8), and only when the upstream set it.
import { describe, before, after, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { startBanwall, testConfig, type RunningBanwall } from '../helpers/banwall.ts';
import { dig, kdig, NO_DIG_KDIG } from '../helpers/dig.ts';

void describe('reply flags: RA always, AA never, AD only when asked for', { skip: NO_DIG_KDIG }, () => {
  let up: FakeUpstream;
  let silent: FakeUpstream;
  let bw: RunningBanwall;
  before(async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'banwall-flags-'));
    await writeFile(path.join(dir, 'blocked.txt'), 'blocked.example\n');
    up = await startFakeUpstream({
      zone: { 'www.example': [{ type: 'A', data: '192.0.2.10' }] },
      authoritative: true,
      ad: true,
    });
    silent = await startFakeUpstream();
    silent.mode = 'silent';
    bw = await startBanwall(
      testConfig([up.url], {
        dns: {
          timeout: '500ms',
          allowedClients: ['127.0.0.1/32'],
          forward: { 'down.example': [silent.url] },
        },
        lists: [{ name: 'test-block', app: 'wechat', category: 'core', source: 'blocked.txt' }],
        groups: [{ name: 'default', lists: ['test-block'] }],
      }),
      { dir },
    );
  });
  after(async () => {
    await bw.stop();
    await up.close();
    await silent.close();
  });

  const flagsOf = (f: string[]) => f.join(' ');

  void it('a forwarded and a cached answer from an AA, no-RA upstream: qr rd ra, no aa', async () => {
    for (const round of ['forwarded', 'cached']) {
      const r = await dig(bw.dnsPort, 'www.example', 'A', ['+noadflag']);
      assert.equal(r.status, 'NOERROR');
      assert.equal(r.answers[0]?.data, '192.0.2.10');
      assert.ok(r.flags.includes('ra'), `${round}: RA set (${flagsOf(r.flags)})`);
      assert.ok(!r.flags.includes('aa'), `${round}: AA clear (${flagsOf(r.flags)})`);
      assert.ok(!r.flags.includes('ad'), `${round}: AD clear without AD or DO in the query`);
    }
  });

  void it('AD passes to a client that set AD (dig default) or DO, and not otherwise', async () => {
    assert.ok((await dig(bw.dnsPort, 'www.example', 'A', ['+adflag'])).flags.includes('ad'));
    assert.ok((await dig(bw.dnsPort, 'www.example', 'A', ['+noadflag', '+dnssec'])).flags.includes('ad'));
    const plain = await kdig(bw.dnsPort, ['+noadflag', 'www.example', 'A']);
    assert.ok(!plain.flags.includes('ad'), `kdig without AD/DO: ${flagsOf(plain.flags)}`);
  });

  void it('RA is set even when the query did not ask for recursion (as Unbound does)', async () => {
    const r = await kdig(bw.dnsPort, ['+norecurse', 'www.example', 'A']);
    assert.equal(r.status, 'NOERROR');
    assert.ok(r.flags.includes('ra') && !r.flags.includes('rd'), flagsOf(r.flags));
  });

  void it('synthesized answers carry RA too: block, REFUSED, FORMERR, NOTIMP, SERVFAIL', async () => {
    const blocked = await dig(bw.dnsPort, 'blocked.example', 'A');
    assert.equal(blocked.status, 'NXDOMAIN');
    assert.ok(blocked.flags.includes('ra') && !blocked.flags.includes('aa'), flagsOf(blocked.flags));

    const refused = await kdig(bw.dnsPort, ['-b', '127.0.0.2', 'www.example', 'A']);
    assert.equal(refused.status, 'REFUSED');
    assert.ok(refused.flags.includes('ra'), `REFUSED: ${flagsOf(refused.flags)}`);

    const formerr = await kdig(bw.dnsPort, ['+nocookie', '+ednsopt=10:0102', 'www.example', 'A']);
    assert.equal(formerr.status, 'FORMERR');
    assert.ok(formerr.flags.includes('ra'), `FORMERR: ${flagsOf(formerr.flags)}`);

    const notimp = await dig(bw.dnsPort, 'www.example', 'A', ['+opcode=status']);
    assert.equal(notimp.status, 'NOTIMP');
    assert.ok(notimp.flags.includes('ra'), `NOTIMP: ${flagsOf(notimp.flags)}`);

    const servfail = await dig(bw.dnsPort, 'x.down.example', 'A');
    assert.equal(servfail.status, 'SERVFAIL');
    assert.ok(servfail.flags.includes('ra'), `SERVFAIL: ${flagsOf(servfail.flags)}`);
  });
});
