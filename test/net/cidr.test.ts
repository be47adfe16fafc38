import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CidrList, networkKey } from '../../src/net/cidr.ts';

void test('CidrList matches IPv4, IPv6, mapped and zoned addresses on prefix boundaries', () => {
  const list = new CidrList([
    '127.0.0.1/32',
    '10.0.0.0/8',
    '192.168.4.0/22',
    '2001:db8::/32',
    '::1',
    'fe80::/10',
  ]);
  const yes = [
    '127.0.0.1',
    '10.255.0.1',
    '192.168.7.255',
    '2001:db8:ffff::1',
    '::1',
    'fe80::1%eth0',
    'febf::1',
  ];
  const no = ['127.0.0.2', '11.0.0.1', '192.168.8.0', '2001:db9::1', '::2', 'fec0::1', 'junk', ''];
  for (const a of yes) assert.equal(list.contains(a), true, a);
  for (const a of no) assert.equal(list.contains(a), false, a);
  assert.equal(list.contains('::ffff:10.1.2.3'), true);
  assert.equal(list.contains('::ffff:11.1.2.3'), false);
  // Cached verdicts stay right on the second ask.
  for (const a of yes) assert.equal(list.contains(a), true, a);
  for (const a of no) assert.equal(list.contains(a), false, a);
});

void test('CidrList /0 matches its whole family only', () => {
  const v4 = new CidrList(['0.0.0.0/0']);
  assert.equal(v4.contains('8.8.8.8'), true);
  assert.equal(v4.contains('2001:db8::1'), false);
  const v6 = new CidrList(['::/0']);
  assert.equal(v6.contains('2001:db8::1'), true);
  assert.equal(v6.contains('8.8.8.8'), false);
});

void test('CidrList cache stays bounded and right after it is cleared', () => {
  const list = new CidrList(['10.0.0.0/8'], 16);
  for (let i = 0; i < 1000; i++) assert.equal(list.contains(`10.0.${i >> 8}.${i & 255}`), true);
  assert.equal(list.contains('11.0.0.0'), false);
});

void test('CidrList rejects what is not a CIDR', () => {
  for (const bad of ['10.0.0.0/33', '10.0.0.0/', 'example.com', '::1/129']) {
    assert.throws(() => new CidrList([bad]), /not an IP address or CIDR/, bad);
  }
});

void test('networkKey aggregates IPv6 by /64 and IPv4 by the configured prefix', () => {
  assert.equal(networkKey('2001:db8:1:2:3:4:5:6', 32, 64), networkKey('2001:db8:1:2:ffff::1', 32, 64));
  assert.notEqual(networkKey('2001:db8:1:2::1', 32, 64), networkKey('2001:db8:1:3::1', 32, 64));
  assert.equal(networkKey('1.2.3.4', 32, 64), '1.2.3.4');
  assert.equal(networkKey('1.2.3.4', 24, 64), networkKey('1.2.3.200', 24, 64));
  assert.equal(networkKey('::ffff:1.2.3.4', 32, 64), '1.2.3.4');
});
