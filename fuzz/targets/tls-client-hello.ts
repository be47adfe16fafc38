// Fuzz target: the first bytes a CONNECT client sends after "200 Connection Established" → the proxy's
// ClientHello SNI parser. Invariants: never throws; a result is one of the four states; an SNI is
// lower-case text without a trailing dot; a prefix of a complete hello is never judged 'hello' with
// another name.
import assert from 'node:assert/strict';
import { parseClientHello } from '../../src/proxy/tls-client-hello.ts';

const STATES = new Set(['incomplete', 'hello', 'not-tls', 'invalid']);

export function fuzz(data: Buffer): void {
  const r = parseClientHello(data);
  assert.ok(STATES.has(r.state));
  if (r.state !== 'hello') return;
  if (r.sni !== null) {
    assert.equal(r.sni, r.sni.toLowerCase());
    assert.ok(!r.sni.endsWith('.'));
  }
  const half = parseClientHello(data.subarray(0, data.length >> 1));
  if (half.state === 'hello') assert.equal(half.sni, r.sni);
}
