import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { DnsAnswer, DnsQuery, Resolver } from '../../../src/dns/resolver.ts';
import type { RuleRef } from '../../../src/policy/snapshot.ts';
import { DnsEventRing } from '../../../src/dns/querylog/dns-event-ring.ts';
import { EventPipeline } from '../../../src/events/pipeline.ts';
import { JsonLinesSink } from '../../../src/events/jsonl-sink.ts';
import { QueryLoggingResolver } from '../../../src/dns/querylog/query-logging-resolver.ts';
import { dnsQuery } from '../../helpers/dns-query.ts';

const log = pino({ level: 'silent' });
const rule: RuleRef = {
  list: 'kaspersky-update',
  app: 'kaspersky',
  category: 'update',
  source: 'blocklists/kaspersky/update.txt',
  line: 7,
  rule: 'upd.kaspersky.com',
  action: { kind: 'nxdomain' },
};

function query(name: string, qtype = 1): DnsQuery {
  return dnsQuery(name, qtype, { client: '10.9.8.7', protocol: 'tcp', id: 1 });
}

const next: Resolver = {
  resolve: (q): DnsAnswer =>
    q.name.endsWith('kaspersky.com')
      ? { wire: Buffer.alloc(12), result: 'blocked', block: { rule, group: 'staff' } }
      : { wire: Buffer.alloc(12), result: 'allowed' },
};

/** The query log as the app builds it: a ring feeding a pipeline whose one sink is the file. */
function queryLog(
  target: string,
  mode: 'blocked' | 'all',
  sample: number,
  dir: string,
): { ring: DnsEventRing; file: JsonLinesSink; close(): Promise<void> } {
  const pipeline = new EventPipeline();
  const file = new JsonLinesSink(target, dir, log);
  pipeline.add(file, mode);
  const ring = new DnsEventRing(pipeline, { all: mode === 'all', sample });
  return {
    ring,
    file,
    close: async () => {
      ring.flush();
      await pipeline.close();
    },
  };
}

async function lines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

void test('blocked queries are logged as JSON lines with app, category, list and rule', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-qlog-'));
  const ql = queryLog('logs/query.log', 'blocked', 1, dir);
  const r = new QueryLoggingResolver(next, ql.ring);
  const before = Date.now();
  const answer = r.resolve(query('dnl-01.upd.kaspersky.com', 28));
  assert.ok(!(answer instanceof Promise), 'a synchronous answer stays synchronous');
  void r.resolve(query('example.test'));
  void r.resolve(query('x.test', 16));
  await ql.close();
  const got = await lines(path.join(dir, 'logs/query.log'));
  assert.equal(got.length, 1);
  const [l] = got;
  assert.deepEqual(
    { ...l, time: undefined },
    {
      time: undefined,
      client: '10.9.8.7',
      name: 'dnl-01.upd.kaspersky.com',
      type: 'AAAA',
      protocol: 'tcp',
      result: 'blocked',
      app: 'kaspersky',
      category: 'update',
      list: 'kaspersky-update',
      rule: 'upd.kaspersky.com',
      source: 'blocklists/kaspersky/update.txt:7',
      group: 'staff',
      layer: 'dns',
      decision: 'blocked',
      answer: 'NOERROR',
      durationMs: l.durationMs,
    },
  );
  assert.equal(typeof l.durationMs, 'number');
  const t = Date.parse(String(l.time));
  assert.ok(t >= before - 1000 && t <= Date.now() + 1000, `time ${String(l.time)} is now`);
  assert.equal(ql.file.written, 1);
});

void test('log: all logs every query, sampled; blocked ones always', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-qlog-'));
  const all = queryLog('all.log', 'all', 1, dir);
  const none = queryLog('sampled.log', 'all', 0, dir);
  for (const ql of [all, none]) {
    const r = new QueryLoggingResolver(next, ql.ring);
    for (let i = 0; i < 10; i++) void r.resolve(query(`n${i}.example.test`));
    void r.resolve(query('upd.kaspersky.com'));
    await ql.close();
  }
  assert.equal((await lines(path.join(dir, 'all.log'))).length, 11);
  const sampled = await lines(path.join(dir, 'sampled.log'));
  assert.deepEqual(
    sampled.map((l) => l.name),
    ['upd.kaspersky.com'],
  );
});

void test('a burst beyond the buffer is dropped and counted, never queued without bound', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-qlog-'));
  const ql = queryLog('burst.log', 'blocked', 1, dir);
  const blocked: DnsAnswer = { wire: Buffer.alloc(12), result: 'blocked', block: { rule, group: 'default' } };
  // 5,000 blocked answers within one event-loop turn: the ring holds 4,096.
  for (let i = 0; i < 5000; i++) ql.ring.offer(query(`${i}.kaspersky.com`), blocked);
  assert.equal(ql.ring.dropped, 5000 - 4096);
  await ql.close();
  assert.equal((await lines(path.join(dir, 'burst.log'))).length, 4096);
  assert.equal(ql.file.written, 4096);
});

void test('reopen starts a new file after log rotation moved the old one', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-qlog-'));
  const ql = queryLog('q.log', 'blocked', 1, dir);
  const blocked: DnsAnswer = { wire: Buffer.alloc(12), result: 'blocked', block: { rule, group: 'default' } };
  ql.ring.offer(query('one.kaspersky.com'), blocked);
  ql.ring.flush();
  ql.file.flush();
  await new Promise((r) => setTimeout(r, 100));
  await rename(path.join(dir, 'q.log'), path.join(dir, 'q.log.1'));
  ql.file.reopen();
  ql.ring.offer(query('two.kaspersky.com'), blocked);
  await ql.close();
  assert.deepEqual(
    (await lines(path.join(dir, 'q.log.1'))).map((l) => l.name),
    ['one.kaspersky.com'],
  );
  assert.deepEqual(
    (await lines(path.join(dir, 'q.log'))).map((l) => l.name),
    ['two.kaspersky.com'],
  );
});
