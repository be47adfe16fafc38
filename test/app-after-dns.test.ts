// dnsSettled (src/app-after-dns.ts): the second phase of a start waits for the DNS front end's queries
// in flight, and never longer than its bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dnsSettled } from '../src/app-after-dns.ts';
import type { DnsServer } from '../src/dns/server/dns-server.ts';

/** A front end whose in-flight count is whatever `inFlight()` says at each look. */
function frontEnd(inFlight: () => number): DnsServer {
  return { load: () => ({ tcpConnections: 0, inFlight: inFlight() }) } as unknown as DnsServer;
}

void test('dnsSettled gives the event loop a turn, then waits until nothing is in flight', async () => {
  let looks = 0;
  let timerRan = false;
  const started = performance.now();
  setTimeout(() => (timerRan = true), 0);
  // In flight for the first three looks (a query forwarded upstream), then answered.
  await dnsSettled(frontEnd(() => (++looks <= 3 ? 1 : 0)));
  assert.equal(timerRan, true, 'a timer turn passed: the loop polled for I/O');
  // Four looks, unless this machine was too busy to run three 1 ms timers within the 50 ms bound.
  assert.ok(looks === 4 || performance.now() - started >= 50, `${looks} looks`);
});

void test('dnsSettled is bounded under a steady load', async () => {
  const started = performance.now();
  await dnsSettled(frontEnd(() => 1));
  const ms = performance.now() - started;
  assert.ok(ms >= 45, `waited ${ms} ms`);
  assert.ok(ms < 1000, `waited ${ms} ms: the bound is 50`);
});
