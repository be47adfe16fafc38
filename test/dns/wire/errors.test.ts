// One module for synthesized rcode answers (issue 18 item 3): every link that refuses or fails, and
// the front ends, answer with the shared header-only answers of src/dns/wire/errors.ts — no second
// way to build REFUSED, no allocation per refusal — and the front end's reply still carries the
// client's question, banwall's flags and the EDE.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dns2 from 'dns2';
import { AclResolver } from '../../../src/dns/acl/acl-resolver.ts';
import { RateLimitingResolver } from '../../../src/dns/ratelimit/rate-limiting-resolver.ts';
import { AnyResolver } from '../../../src/dns/ratelimit/any-resolver.ts';
import { rateLimitSchema } from '../../../src/dns/ratelimit/config.ts';
import { DnsStats } from '../../../src/dns/stats/dns-stats.ts';
import { EDE_PROHIBITED, refused, servfail, answerForError } from '../../../src/dns/wire/errors.ts';
import { encodeReply } from '../../../src/dns/wire/encode-reply.ts';
import { parseQuery, QueryError } from '../../../src/dns/wire/parse-query.ts';
import { CountingResolver, syncAnswer } from '../../helpers/counting-resolver.ts';
import { dnsQuery } from '../../helpers/dns-query.ts';

const { Packet } = dns2;

void test('ACL, rate limit and ANY refuse with the shared REFUSED wire, one answer object each', () => {
  const acl = new AclResolver(new CountingResolver(), ['127.0.0.1/32']);
  const a1 = syncAnswer(acl.resolve(dnsQuery('example.test', 1, { client: '127.0.0.2', received: 0 })));
  const a2 = syncAnswer(acl.resolve(dnsQuery('other.test', 1, { client: '127.0.0.3', received: 0 })));
  assert.equal(a1, a2, 'no allocation per refusal');
  assert.equal(a1.wire, refused().wire);
  assert.deepEqual(a1.ede, EDE_PROHIBITED);

  const rl = new RateLimitingResolver(
    new CountingResolver(),
    rateLimitSchema.parse({ qps: 1, burst: 1 }),
    new DnsStats(),
  );
  syncAnswer(rl.resolve(dnsQuery('example.test', 1, { client: '127.0.0.1', received: 0 })));
  const limited = syncAnswer(rl.resolve(dnsQuery('example.test', 1, { client: '127.0.0.1', received: 0 })));
  assert.equal(limited.result, 'ratelimited');
  assert.equal(limited.wire, refused().wire);

  const any = syncAnswer(
    new AnyResolver(new CountingResolver(), 'refuse').resolve(
      dnsQuery('a.test', 255, { client: '127.0.0.1', received: 0 }),
    ),
  );
  assert.equal(any, refused());
});

void test('a header-only answer becomes a whole reply: the query’s question (case kept) and RA', () => {
  const q = dnsQuery('Mixed.Case.Test', 28, { client: '127.0.0.1', received: 0 });
  const reply = Packet.parse(encodeReply(q, servfail(EDE_PROHIBITED), 512, 0));
  assert.equal(reply.header.rcode, 2);
  assert.equal(reply.header.ra, 1);
  assert.equal(reply.questions[0].name, 'Mixed.Case.Test');
  assert.equal(reply.questions[0].type, 28);
});

void test('the parser’s NOTIMP comes from the same module, with RA', () => {
  const notify = Buffer.from(dnsQuery('example.test', 1, { client: '127.0.0.1', received: 0 }).packet);
  notify[2] |= 4 << 3;
  const e = parseQuery(notify, '127.0.0.1', 'udp', 0);
  assert.ok(e instanceof QueryError);
  const out = encodeReply(e.query, answerForError(e), 512, 0);
  assert.equal(out[3] & 0x0f, 4, 'NOTIMP');
  assert.equal(out[3] & 0x80, 0x80, 'RA');
});
