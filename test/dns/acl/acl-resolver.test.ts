// The ACL link alone: it fails when its protection is removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AclResolver } from '../../../src/dns/acl/acl-resolver.ts';
import { CountingResolver, rcodeOfAnswer, syncAnswer } from '../../helpers/counting-resolver.ts';
import { dnsQuery } from '../../helpers/dns-query.ts';

void test('AclResolver refuses clients outside allowedClients and passes the others through', () => {
  const next = new CountingResolver();
  const acl = new AclResolver(next, ['127.0.0.1/32', '2001:db8::/32']);
  const ok = syncAnswer(acl.resolve(dnsQuery('example.test', 1, { client: '127.0.0.1', received: 0 })));
  assert.equal(ok.result, 'allowed');
  const v6 = syncAnswer(acl.resolve(dnsQuery('example.test', 1, { client: '2001:db8::5', received: 0 })));
  assert.equal(v6.result, 'allowed');
  const no = syncAnswer(acl.resolve(dnsQuery('example.test', 1, { client: '127.0.0.2', received: 0 })));
  assert.equal(no.result, 'refused');
  assert.equal(rcodeOfAnswer(no), 5);
  assert.equal(no.wire[2] & 0x80, 0x80, 'QR set');
  assert.equal(no.wire.readUInt16BE(6), 0, 'no answers');
  assert.equal(no.ede?.code, 18);
  assert.equal(next.calls, 2, 'the refused query never reached the next link');
  assert.equal(acl.refused, 1);
});
