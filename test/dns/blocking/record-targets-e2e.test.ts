// Issue 12 item 7: answers that point a client at a banned name or address through other records
// than CNAME and A/AAAA. An upstream answers HTTPS/SVCB records whose TargetName is a blocked name or
// whose ipv4hint/ipv6hint is a listed address, MX and SRV records naming a blocked host, and NS
// records in the answer section; compressed and uncompressed. Real dig through a real banwall: each
// gets the block answer (first from the upstream, then from the cache), a clean one passes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dig, NO_DIG_KDIG } from '../../helpers/dig.ts';
import { startBanwall, testConfig, type RunningBanwall } from '../../helpers/banwall.ts';
import {
  startWireUpstream,
  wireName,
  pointer,
  svcbRdata,
  ipv4Bytes,
  ipv6Bytes,
  u16,
  type WireAnswer,
  type WireUpstream,
} from '../../helpers/fake-upstream/wire.ts';

const HTTPS = 65;
const SVCB = 64;
const MX = 15;
const SRV = 33;
const NS = 2;
const CNAME = 5;

/** One answer of `type` HTTPS or SVCB (owned by the question's name): ServiceMode unless priority 0. */
const svcb = (
  type: number,
  priority: number,
  target: string,
  params: [number, Buffer][] = [],
): WireAnswer => ({
  answers: [{ type, rdata: () => svcbRdata(priority, wireName(target), params) }],
});

let up: WireUpstream;
let bw: RunningBanwall;

/** The offset of the last two labels ("qq.com") inside a name written at `at` as `svc.qq.com`. */
const QQ_COM_IN_SVC = 4;

before(async () => {
  up = await startWireUpstream({
    // TargetName uncompressed, ServiceMode.
    'svc-target.test': { [HTTPS]: svcb(HTTPS, 1, 'weixin.qq.com') },
    // AliasMode to a blocked name, as SVCB.
    'svcb-alias.test': { [SVCB]: svcb(SVCB, 0, 'dldir1v6.weixin.qq.com') },
    // A CNAME to an allowed name, then an HTTPS record whose TargetName is `weixin` + a pointer
    // to the `qq.com` inside the CNAME's target: compressed.
    'svc-compressed.test': {
      [HTTPS]: {
        answers: [
          { type: CNAME, rdata: () => wireName('svc.qq.com') },
          {
            owner: 'svc.qq.com',
            type: HTTPS,
            rdata: (at) => {
              // The CNAME's rdata sits at: header 12 + question + owner ptr 2 + fixed 10.
              const cnameRdata = 12 + wireName('svc-compressed.test').length + 4 + 12;
              void at;
              return svcbRdata(
                1,
                Buffer.concat([Buffer.of(6), Buffer.from('weixin'), pointer(cnameRdata + QQ_COM_IN_SVC)]),
                [],
              );
            },
          },
        ],
      },
    },
    // "." TargetName (the owner) with hints: one of them is a listed address.
    'svc-hint4.test': {
      [HTTPS]: svcb(HTTPS, 1, '', [
        [1, Buffer.from('\x02h2')],
        [4, Buffer.concat([ipv4Bytes('192.0.2.1'), ipv4Bytes('101.32.118.25')])],
      ]),
    },
    'svc-hint6.test': { [HTTPS]: svcb(HTTPS, 1, '', [[6, ipv6Bytes('2001:db8:bad::1')]]) },
    'mail.test': {
      [MX]: {
        answers: [
          { type: MX, rdata: () => Buffer.concat([u16(10), wireName('mx.qq.com')]) },
          {
            type: MX,
            // `weixin` + a pointer to `qq.com` in the first MX's exchange: compressed.
            rdata: () => {
              const firstExchange = 12 + wireName('mail.test').length + 4 + 12 + 2;
              return Buffer.concat([
                u16(20),
                Buffer.of(6),
                Buffer.from('weixin'),
                pointer(firstExchange + 3),
              ]);
            },
          },
        ],
      },
    },
    '_xmpp._tcp.chat.test': {
      [SRV]: {
        answers: [
          {
            type: SRV,
            rdata: () => Buffer.concat([u16(0), u16(5), u16(5222), wireName('xmpp.weixin.qq.com')]),
          },
        ],
      },
    },
    'delegated.test': { [NS]: { answers: [{ type: NS, rdata: () => wireName('ns1.weixin.qq.com') }] } },
    // Clean: an allowed target and hint pass unchanged.
    'clean.test': {
      [HTTPS]: svcb(HTTPS, 1, 'cdn.example.test', [[4, ipv4Bytes('192.0.2.1')]]),
      [MX]: { answers: [{ type: MX, rdata: () => Buffer.concat([u16(10), wireName('mx.qq.com')]) }] },
    },
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-targets-'));
  await writeFile(path.join(dir, 'w.txt'), 'weixin.qq.com\nip 101.32.118.25\nip 2001:db8:bad::/48\n');
  bw = await startBanwall(
    testConfig([up.url], {
      lists: [{ name: 'wechat-core', app: 'wechat', category: 'core', source: path.join(dir, 'w.txt') }],
      groups: [{ name: 'default', clients: [], lists: ['wechat-core'] }],
      blocking: { cacheDir: path.join(dir, 'var') },
    }),
    { dir },
  );
});

after(async () => {
  await bw?.stop();
  await up?.close();
});

const cases: [string, string][] = [
  ['svc-target.test', 'HTTPS'],
  ['svcb-alias.test', 'SVCB'],
  ['svc-compressed.test', 'HTTPS'],
  ['svc-hint4.test', 'HTTPS'],
  ['svc-hint6.test', 'HTTPS'],
  ['mail.test', 'MX'],
  ['_xmpp._tcp.chat.test', 'SRV'],
  ['delegated.test', 'NS'],
];

void test(
  'records pointing at a blocked name or address get the block answer, uncached and cached',
  { skip: NO_DIG_KDIG },
  async () => {
    for (const round of ['upstream', 'cache']) {
      for (const [name, type] of cases) {
        const r = await dig(bw.dnsPort, name, type);
        assert.equal(r.status, 'NXDOMAIN', `${name} ${type} (${round}):\n${r.raw}`);
        assert.equal(r.answers.length, 0, `${name} ${type}`);
        assert.match(r.ede ?? '', /15 \(Blocked\).*wechat\/core/, `${name} ${type}`);
      }
    }
    assert.ok(
      up.queries.some((q) => q.name === 'mail.test'),
      'the upstream was asked',
    );
  },
);

void test('an answer with allowed targets and hints passes unchanged', { skip: NO_DIG_KDIG }, async () => {
  const h = await dig(bw.dnsPort, 'clean.test', 'HTTPS');
  assert.equal(h.status, 'NOERROR', h.raw);
  assert.equal(h.answers.length, 1);
  assert.match(h.answers[0].data, /cdn\.example\.test\. ipv4hint=192\.0\.2\.1/);
  const m = await dig(bw.dnsPort, 'clean.test', 'MX');
  assert.equal(m.status, 'NOERROR', m.raw);
  assert.equal(m.answers[0].data, '10 mx.qq.com.');
});
