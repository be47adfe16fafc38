// ipFamily stands in for node:net's isIP on addresses read at start (listen addresses, upstreams,
// CIDR entries): it must give isIP's answer for every string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { ipFamily } from '../../src/net/ip-family.ts';

const EDGES = [
  '',
  '::',
  '::1',
  '::ffff:127.0.0.1',
  '2001:db8::1',
  '2001:db8:0:0:0:0:0:1',
  '2001:db8::1::2',
  '1:2:3:4:5:6:7:8:9',
  'fe80::1%eth0',
  'fe80::1%',
  '[::1]',
  ':::',
  '1.2.3.4',
  '1.2.3.256',
  '01.2.3.4',
  '1.2.3',
  'example.test',
  '::1 ',
  ' ::1',
  'g::1',
];

void test('ipFamily agrees with isIP on the edge cases', () => {
  for (const s of EDGES) assert.equal(ipFamily(s), isIP(s), JSON.stringify(s));
});

void test('ipFamily agrees with isIP on random strings of address characters', () => {
  const chars = '0123456789abcdefABCDEF:.%g ';
  let seed = 12345;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < 20_000; i++) {
    let s = '';
    const len = 1 + rand(40);
    for (let k = 0; k < len; k++) s += chars[rand(chars.length)];
    // Half of them start from a valid address and are then changed in one place.
    if (i % 2 === 0) {
      const base = ['2001:db8::1', '::ffff:10.0.0.1', '10.0.0.1', 'fe80::1:2'][rand(4)];
      const at = rand(base.length + 1);
      s = base.slice(0, at) + chars[rand(chars.length)] + base.slice(at + rand(2));
    }
    assert.equal(ipFamily(s), isIP(s), JSON.stringify(s));
  }
});
