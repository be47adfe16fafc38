// Not an open resolver, not an amplifier: ACL, rate limit and RFC 8482 against the real server, asked
// with dig from loopback source addresses that are not allowed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { banwallSuite } from '../../helpers/banwall-suite.ts';
import { dig, NO_DIG_KDIG } from '../../helpers/dig.ts';
import { metric, rcodeOf, udpExchange } from '../../helpers/dns-client.ts';
import { queryPacket } from '../../helpers/dns-query.ts';
import { clientQueries } from '../../helpers/fake-upstream/dns.ts';

const ZONE = { 'a.test': [{ type: 'A' as const, data: '192.0.2.1' }] };

void describe('dns.allowedClients and dns.any', { skip: NO_DIG_KDIG }, () => {
  const suite = banwallSuite({
    upstream: { zone: ZONE },
    config: { dns: { allowedClients: ['127.0.0.1/32'], any: 'minimal' } },
  });

  void it('refuses a client outside allowedClients (dig -b 127.0.0.2) and counts it', async () => {
    const before = clientQueries(suite.up);
    const refused = await dig(suite.bw.dnsPort, 'a.test', 'A', ['-b', '127.0.0.2']);
    assert.equal(refused.status, 'REFUSED');
    assert.equal(refused.answers.length, 0);
    const tcp = await dig(suite.bw.dnsPort, 'a.test', 'A', ['-b', '127.0.0.2', '+tcp']);
    assert.equal(tcp.status, 'REFUSED');
    assert.equal(clientQueries(suite.up), before, 'a refused query never reaches the upstream');
    const ok = await dig(suite.bw.dnsPort, 'a.test', 'A', ['-b', '127.0.0.1']);
    assert.equal(ok.status, 'NOERROR');
    assert.equal(ok.answers[0]?.data, '192.0.2.1');
    const counted = await metric(suite.bw.httpPort!, 'banwall_dns_queries_total', { result: 'refused' });
    assert.ok((counted ?? 0) >= 2, `refused queries counted (got ${counted})`);
  });

  void it('answers ANY with one HINFO "RFC8482" record (RFC 8482 minimal)', async () => {
    const before = clientQueries(suite.up);
    const r = await dig(suite.bw.dnsPort, 'a.test', 'ANY');
    assert.equal(r.status, 'NOERROR');
    assert.equal(r.answers.length, 1);
    assert.equal(r.answers[0].type, 'HINFO');
    assert.match(r.answers[0].data, /"RFC8482" ""/);
    assert.equal(clientQueries(suite.up), before, 'ANY is never forwarded');
  });
});

void describe('dns.rateLimit and dns.any: refuse', { skip: NO_DIG_KDIG }, () => {
  const suite = banwallSuite({
    upstream: { zone: ZONE },
    config: { dns: { rateLimit: { qps: 2, burst: 5 }, any: 'refuse' } },
  });

  void it('refuses a client over its rate and keeps serving other clients', async () => {
    const rcodes: (number | null)[] = [];
    for (let i = 0; i < 15; i++) {
      const reply = await udpExchange(suite.bw.dnsPort, queryPacket('a.test', 1, { id: i }), {
        bind: '127.0.0.5',
      });
      rcodes.push(reply === null ? null : rcodeOf(reply));
    }
    const ok = rcodes.filter((r) => r === 0).length;
    const refused = rcodes.filter((r) => r === 5).length;
    assert.ok(ok >= 5 && ok <= 7, `burst 5 (+ refill) answered, got ${ok}: ${rcodes.join(',')}`);
    assert.ok(refused >= 8, `the rest refused, got ${refused}`);
    const other = await dig(suite.bw.dnsPort, 'a.test', 'A', ['-b', '127.0.0.6']);
    assert.equal(other.status, 'NOERROR', 'another client has its own bucket');
    const counted = await metric(suite.bw.httpPort!, 'banwall_dns_queries_total', { result: 'ratelimited' });
    assert.ok((counted ?? 0) >= 8, `ratelimited counted (got ${counted})`);
  });

  void it('answers ANY with REFUSED', async () => {
    const r = await dig(suite.bw.dnsPort, 'a.test', 'ANY', ['-b', '127.0.0.7']);
    assert.equal(r.status, 'REFUSED');
  });
});

void describe('dns.rateLimit action: drop', { skip: NO_DIG_KDIG }, () => {
  const suite = banwallSuite({
    upstream: { zone: ZONE },
    config: { dns: { rateLimit: { qps: 0.1, burst: 3, action: 'drop' } } },
  });

  void it('sends nothing to a client over its rate', async () => {
    const replies = [];
    for (let i = 0; i < 8; i++) {
      replies.push(
        await udpExchange(suite.bw.dnsPort, queryPacket('a.test', 1, { id: i }), {
          bind: '127.0.0.8',
          timeoutMs: 300,
        }),
      );
    }
    const answered = replies.filter((r) => r !== null).length;
    assert.equal(answered, 3, `burst answered, the rest dropped: ${answered}`);
    assert.ok(
      replies.slice(3).every((r) => r === null),
      'over the limit: no reply at all',
    );
  });
});
