// The ACL link alone: it fails when its protection is removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AclResolver } from '../../../src/dns/acl/acl-resolver.ts';
import type { DnsAnswer, MaybePromise } from '../../../src/dns/resolver.ts';
import { CountingResolver } from '../../helpers/counting-resolver.ts';
import { dnsQuery } from '../../helpers/dns-query.ts';

function sync(a: MaybePromise<DnsAnswer>): DnsAnswer {
  assert.ok(!(a instanceof Promise), 'protection links answer synchronously');
  return a;
}
const rcode = (a: DnsAnswer) => a.wire[3] & 0x0f;

void test('AclResolver refuses clients outside allowedClients and passes the others through', () => {
  const next = new CountingResolver();
  const acl = new AclResolver(next, ['127.0.0.1/32', '2001:db8::/32']);
  const ok = sync(acl.resolve(dnsQuery('example.test', 1, { client: '127.0.0.1', received: 0 })));
  assert.equal(ok.result, 'allowed');
  const v6 = sync(acl.resolve(dnsQuery('example.test', 1, { client: '2001:db8::5', received: 0 })));
  assert.equal(v6.result, 'allowed');
  const no = sync(acl.resolve(dnsQuery('example.test', 1, { client: '127.0.0.2', received: 0 })));
  assert.equal(no.result, 'refused');
  assert.equal(rcode(no), 5);
  assert.equal(no.wire[2] & 0x80, 0x80, 'QR set');
  assert.equal(no.wire.readUInt16BE(6), 0, 'no answers');
  assert.equal(no.ede?.code, 18);
  assert.equal(next.calls, 2, 'the refused query never reached the next link');
  assert.equal(acl.refused, 1);
});
