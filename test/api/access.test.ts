// HttpAccess decisions that loopback-only tests cannot reach with real sockets: a request arriving on
// a non-loopback address (the shipped Kubernetes and container configs listen on 0.0.0.0) needs a
// token for /api/ reads. The test network has only 127.0.0.0/8 and ::1, so the sockets are stand-ins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpAccess } from '../../src/api/access.ts';
import { admitted } from '../helpers/http-access.ts';
import { configSchema } from '../../src/config/schema.ts';

const TOKEN = 'unit-write-token-0123456789';
const READ = 'unit-read-token-0123456789';

function http(extra: Record<string, unknown>) {
  return configSchema.parse({
    dns: { listen: ['127.0.0.1:0'], upstreams: ['udp://127.0.0.1:53'] },
    http: { listen: ['0.0.0.0:9153'], ...extra },
  }).http;
}

const ask = admitted;

void test('the defaults: loopback clients only, no token over loopback', () => {
  const cfg = http({});
  assert.deepEqual(cfg.allowedClients, ['127.0.0.0/8', '::1/128']);
  assert.deepEqual(cfg.metricsClients, []);
  const access = new HttpAccess(cfg, undefined);
  assert.equal(ask(access, 'read', '127.0.0.1', '127.0.0.1'), 200);
  assert.equal(ask(access, 'read', '::1', '::1'), 200);
  assert.equal(ask(access, 'read', '::ffff:127.0.0.9', '::ffff:127.0.0.1'), 200);
  assert.equal(ask(access, 'probe', '10.1.2.3', '10.9.9.9'), 403);
  assert.equal(ask(access, 'read', '10.1.2.3', '10.9.9.9'), 403);
  assert.equal(ask(access, 'pac', '10.1.2.3', '10.9.9.9'), 403, 'proxy off: no PAC clients beyond admins');
});

void test('/api/ reads arriving on a non-loopback address need the read or the write token', () => {
  const access = new HttpAccess(
    http({ allowedClients: ['10.0.0.0/8'], token: TOKEN, readToken: READ }),
    undefined,
  );
  const from = (headers: Record<string, string> = {}) => ask(access, 'read', '10.1.2.3', '10.9.9.9', headers);
  assert.equal(from(), 401);
  assert.equal(from({ authorization: 'Bearer not-the-token-at-all' }), 403);
  assert.equal(from({ authorization: `Bearer ${READ}` }), 200);
  assert.equal(from({ authorization: `Bearer ${TOKEN}` }), 200);
  // The read token does not write.
  assert.equal(ask(access, 'write', '10.1.2.3', '10.9.9.9', { authorization: `Bearer ${READ}` }), 403);
  assert.equal(ask(access, 'write', '10.1.2.3', '10.9.9.9', { authorization: `Bearer ${TOKEN}` }), 200);
  // Probes need no token (kubelet and Prometheus send none).
  assert.equal(ask(access, 'probe', '10.1.2.3', '10.9.9.9'), 200);
});

void test('without any token, non-loopback /api/ reads are refused with a message saying how', () => {
  delete process.env.BANWALL_API_TOKEN;
  delete process.env.BANWALL_API_READ_TOKEN;
  const access = new HttpAccess(http({ allowedClients: ['10.0.0.0/8'] }), undefined);
  assert.equal(ask(access, 'read', '10.1.2.3', '10.9.9.9'), 403);
  // Only the write token set: it serves for reads too.
  const writeOnly = new HttpAccess(http({ allowedClients: ['10.0.0.0/8'], token: TOKEN }), undefined);
  assert.equal(ask(writeOnly, 'read', '10.1.2.3', '10.9.9.9', { authorization: `Bearer ${TOKEN}` }), 200);
});

void test('a connection from this host to its own address passes as local (banwall reload)', () => {
  const access = new HttpAccess(http({}), undefined);
  assert.equal(ask(access, 'read', '10.9.9.9', '10.9.9.9'), 200);
  assert.equal(ask(access, 'read', '10.9.9.8', '10.9.9.9'), 403);
});

void test('Host: IP literals, localhost and http.hosts pass; other names and garbage do not', () => {
  const access = new HttpAccess(http({ hosts: ['Banwall.Example.', '*.mgmt.example'] }), undefined);
  for (const ok of [
    '127.0.0.1:9153',
    '[::1]:9153',
    '10.2.3.4',
    'localhost',
    'banwall.example:9153',
    'x.mgmt.example',
  ]) {
    assert.equal(access.hostAllowed(ok), true, ok);
  }
  for (const bad of [
    'evil.example',
    'banwall.example.evil',
    'mgmt.example',
    '[nonsense]:1',
    'a:b:c',
    'a b',
  ]) {
    assert.equal(access.hostAllowed(bad), false, bad);
  }
  assert.throws(() => http({ hosts: ['not a name'] }));
});
