// Issue 16 item 2 (DNS part): `dns.stripECH: true` removes the `ech` SvcParam from HTTPS/SVCB answers
// so that clients send a visible SNI. An upstream serves two HTTPS records with ech (one before other
// parameters, one whose TargetName an authority record's owner and rdata point into, after the
// first cut); kdig, which parses every record and pointer, shows ech gone and everything else intact
// when on, from the upstream and from the cache, counted once in banwall_dns_ech_stripped_total; and
// ech kept when off (the default).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBanwall, testConfig, type RunningBanwall } from '../../helpers/banwall.ts';
import { kdig, NO_DIG_KDIG } from '../../helpers/dig.ts';
import {
  startWireUpstream,
  wireName,
  pointer,
  svcbRdata,
  ipv6Bytes,
  type WireUpstream,
} from '../../helpers/fake-upstream/wire.ts';

const HTTPS = 65;
const NS = 2;
const ECH_CONFIG = Buffer.from(
  'AEX+DQBBpQAgACBfAiUxWGP7rOdc3+uE7g28kIgRjEyhp6rp5DRlv8wRDQAEAAEAAQASY2xvdWRmbGFyZS1lY2guY29tAAA=',
  'base64',
);

let up: WireUpstream;
let on: RunningBanwall;
let off: RunningBanwall;

before(async () => {
  let suffixAt = 0; // where `ech.test` inside the second record's TargetName `alt.ech.test` lands
  up = await startWireUpstream({
    'ech.test': {
      [HTTPS]: {
        answers: [
          {
            type: HTTPS,
            rdata: () =>
              svcbRdata(1, wireName(''), [
                [1, Buffer.from('\x02h2')],
                [5, ECH_CONFIG],
                [6, ipv6Bytes('2001:db8::1')],
              ]),
          },
          {
            type: HTTPS,
            rdata: (at) => {
              suffixAt = at + 2 + 4;
              return svcbRdata(2, wireName('alt.ech.test'), [[5, ECH_CONFIG]]);
            },
          },
        ],
        authority: [
          {
            ownerBytes: () => pointer(suffixAt),
            type: NS,
            rdata: () => Buffer.concat([Buffer.of(2), Buffer.from('ns'), pointer(suffixAt)]),
          },
        ],
      },
    },
  });
  on = await startBanwall(testConfig([up.url], { dns: { stripECH: true } }));
  off = await startBanwall(testConfig([up.url]));
});

after(async () => {
  await on?.stop();
  await off?.stop();
  await up?.close();
});

async function stripped(bw: RunningBanwall): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${bw.httpPort}/metrics`)).text();
  return Number(/^banwall_dns_ech_stripped_total (\d+)/m.exec(text)?.[1] ?? NaN);
}

void test(
  'stripECH on: ech removed from every HTTPS record, the rest intact, cached answers too',
  { skip: NO_DIG_KDIG },
  async () => {
    for (const round of ['upstream', 'cache']) {
      const out = (await kdig(on.dnsPort, ['ech.test', 'HTTPS'])).raw;
      assert.match(out, /status: NOERROR/, out);
      assert.doesNotMatch(out, /ech=/, `${round}: ${out}`);
      assert.match(
        out,
        /ech\.test\.\s+\d+\s+IN\s+HTTPS\s+1 \. alpn=h2 ipv6hint=2001:db8::1\n/,
        `${round}: ${out}`,
      );
      assert.match(out, /ech\.test\.\s+\d+\s+IN\s+HTTPS\s+2 alt\.ech\.test\.\n/, `${round}: ${out}`);
      assert.match(out, /ech\.test\.\s+\d+\s+IN\s+NS\s+ns\.ech\.test\.\n/, `${round}: ${out}`);
    }
    assert.equal(await stripped(on), 1, 'one upstream answer rewritten; the cache hit is served as stored');
  },
);

void test('stripECH off (default): ech kept', { skip: NO_DIG_KDIG }, async () => {
  const out = (await kdig(off.dnsPort, ['ech.test', 'HTTPS'])).raw;
  assert.match(out, /HTTPS\s+1 \. alpn=h2 ech=AEX\+DQBB\S* ipv6hint=2001:db8::1\n/, out);
  assert.match(out, /HTTPS\s+2 alt\.ech\.test\. ech=/, out);
  assert.equal(await stripped(off), 0);
});
