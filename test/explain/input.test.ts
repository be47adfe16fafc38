// The input checks `banwall explain` and GET /api/explain share, case by case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkExplainInput, normalizeName, qtypeOf } from '../../src/explain/input.ts';

void test('names: lower-cased, trailing dot dropped, IDN to A-label, bad labels refused', () => {
  assert.equal(normalizeName('WeiXin.QQ.com.'), 'weixin.qq.com');
  assert.equal(normalizeName('_dmarc.example'), '_dmarc.example');
  assert.equal(normalizeName('*.example'), '*.example');
  assert.equal(normalizeName('微信.com'), 'xn--vuqz89a.com');
  assert.equal(normalizeName('localhost'), 'localhost');
  for (const bad of [
    '',
    '.',
    'a..b',
    'a b',
    'not a name!',
    '-a.example',
    'a-.example',
    'a.*.example',
    'a/b',
  ]) {
    assert.equal(normalizeName(bad), null, JSON.stringify(bad));
  }
  assert.equal(normalizeName(`${'a'.repeat(63)}.example`), `${'a'.repeat(63)}.example`);
  assert.equal(normalizeName(`${'a'.repeat(64)}.example`), null);
  assert.equal(normalizeName(`${'a.'.repeat(127)}a`), null, 'over 253 characters');
});

void test('types: mnemonics in any case, TYPEnnn within 1..65535', () => {
  assert.equal(qtypeOf('aaaa'), 28);
  assert.equal(qtypeOf('TYPE65'), 65);
  assert.equal(qtypeOf('type65535'), 65535);
  for (const bad of ['FOO', 'TYPE0', 'TYPE65536', 'TYPE', '1', 'constructor', 'toString']) {
    assert.equal(qtypeOf(bad), null, bad);
  }
});

void test('subjects: names, http(s) URLs and addresses; clients are addresses', () => {
  const ok = (subject: string, client?: string, type?: string) => {
    const r = checkExplainInput({ subject, client, type });
    assert.ok(r.ok, `${subject}: ${r.ok ? '' : r.error}`);
    return r.input;
  };
  assert.deepEqual(ok('  Example.COM  '), {
    kind: 'name',
    subject: 'example.com',
    host: 'example.com',
    client: '127.0.0.1',
    type: 'A',
    qtype: 1,
  });
  assert.equal(ok('HTTPS://Example.com/a?b').kind, 'url');
  assert.equal(ok('HTTPS://Example.com/a?b').host, 'example.com');
  assert.equal(ok('http://[2001:db8::1]:8080/x').host, '2001:db8::1');
  assert.equal(ok('[2001:db8::1]').kind, 'ip');
  assert.equal(ok('192.0.2.1', '::1', 'type28').type, 'AAAA');

  const err = (subject: string | null, client?: string, type?: string) => {
    const r = checkExplainInput({ subject, client, type });
    assert.ok(!r.ok, String(subject));
    return r.error;
  };
  assert.match(err(null), /required/);
  assert.match(err('   '), /required/);
  assert.match(err('ftp://example.com/'), /only http and https/);
  assert.match(err('http://exa mple.com/'), /not a valid URL|not a domain name/);
  assert.match(err('example.com', 'notanip'), /client "notanip" is not an IP address/);
  assert.match(err('example.com', '10.0.0.0/8'), /is not an IP address/);
  assert.match(err('example.com', undefined, 'FOO'), /type "FOO" is not a query type/);
});
