// Monitor (dry-run) mode in the compiled policy (issue 15 item 1): a monitored list decides nothing
// (the next rule or list does), its match comes out of the same decision code, and `explain` shows it
// as "would block".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyStore } from '../../src/policy/store.ts';
import { createLogger } from '../../src/log.ts';
import { explainName, formatExplain } from '../../src/policy/explain.ts';
import { runExpectations } from '../../src/policy/tests/run-expectations.ts';
import { parseExpectations } from '../../src/policy/tests/expectations.ts';
import { loaded, policyConfig, storeFor, tempDir } from './policy-helpers.ts';

const C = '127.0.0.1';

async function twoLists(monitorKey: Record<string, unknown>, rest: Record<string, unknown> = {}) {
  const dir = await tempDir();
  const cfg = await policyConfig(
    dir,
    [
      { name: 'enforced', app: 'wechat', text: 'both.example\nenforced.example\n' },
      {
        name: 'staged',
        app: 'kaspersky',
        category: 'update',
        text: 'both.example\nstaged.example\n/^rx[0-9]+\\.stagedrx\\.example$/\nip 198.51.100.0/24\nurl dl.example /get/*.exe|\n',
      },
    ],
    rest,
  );
  const lists = cfg.lists as Record<string, unknown>[];
  Object.assign(lists[1], monitorKey);
  const store = new PolicyStore(createLogger('silent'), { watch: false, refresh: false });
  await store.load(loaded(dir, cfg));
  return store.current;
}

for (const [how, key, rest] of [
  ['mode: monitor', { mode: 'monitor' }, {}],
  ['action: monitor', { action: 'monitor' }, {}],
  ['blocking.monitorApps', {}, { blocking: { monitorApps: ['kaspersky'] } }],
] as const) {
  void test(`a list in monitor mode (${how}) blocks nothing and reports what it would block`, async () => {
    const p = await twoLists(key, rest);
    assert.equal(p.matchName('staged.example', C), null);
    const m = p.monitoredName!('staged.example', C);
    assert.equal(m?.rule.list, 'staged');
    assert.equal(m?.rule.monitor, true);
    assert.equal(m?.rule.app, 'kaspersky');
    assert.equal(m?.rule.action.kind, 'nxdomain', 'the answer it will give once enforced');
    // Subdomains, regexes, IP and URL rules of the monitored list alike.
    assert.equal(p.matchName('a.staged.example', C), null);
    assert.equal(p.monitoredName!('a.staged.example', C)?.rule.list, 'staged');
    assert.equal(p.matchName('rx7.stagedrx.example', C), null);
    assert.equal(p.monitoredName!('rx7.stagedrx.example', C)?.rule.rule, '/^rx[0-9]+\\.stagedrx\\.example$/');
    assert.equal(p.matchIp('198.51.100.9', C), null);
    assert.equal(p.monitoredIp!('198.51.100.9', C)?.rule.list, 'staged');
    const url = { host: 'dl.example', path: '/get/setup.exe', query: '' };
    assert.equal(p.matchUrl(url, C), null);
    assert.equal(p.monitoredUrl!(url, C)?.rule.list, 'staged');
    // Names no list has: neither.
    assert.equal(p.monitoredName!('other.example', C), null);
    assert.equal(p.lists().find((l) => l.name === 'staged')?.mode, 'monitor');
    assert.equal(p.lists().find((l) => l.name === 'enforced')?.mode, undefined);
  });
}

void test('an enforced list wins over a monitored one matching the same name', async () => {
  const p = await twoLists({ mode: 'monitor' });
  const m = p.matchName('both.example', C);
  assert.equal(m?.rule.list, 'enforced');
  assert.equal(m?.rule.monitor, false);
  assert.equal(p.matchName('enforced.example', C)?.rule.list, 'enforced');
  const e = explainName(p, 'both.example', C);
  assert.equal(e.decision, 'blocked');
  assert.equal(e.decidingRule?.list, 'enforced');
  assert.equal(e.wouldBlock, undefined);
});

void test('an exception wins over a monitored list too: nothing to report', async () => {
  const p = await twoLists({ mode: 'monitor' }, { allow: [{ name: 'ok', entries: ['staged.example'] }] });
  assert.equal(p.matchName('staged.example', C), null);
  assert.equal(p.monitoredName!('staged.example', C), null);
  assert.equal(explainName(p, 'staged.example', C).wouldBlock, undefined);
});

void test('explain says "would block" for a monitored match, by name and by URL', async () => {
  const p = await twoLists({ mode: 'monitor' });
  const e = explainName(p, 'a.staged.example', C);
  assert.equal(e.decision, 'allowed');
  assert.equal(e.wouldBlock?.list, 'staged');
  assert.equal(e.wouldBlock?.mode, 'monitor');
  assert.equal(e.wouldBlock?.rule, 'staged.example');
  assert.match(formatExplain(e), /WOULD BLOCK \(list in monitor mode\): staged\.example {2}\(list staged/);
  const u = explainName(p, 'http://dl.example/get/setup.exe', C);
  assert.equal(u.decision, 'allowed');
  assert.equal(u.url?.blocked, false);
  assert.equal(u.wouldBlock?.list, 'staged');
});

void test('switching the list to enforce (a reload) makes the same names blocked', async () => {
  const p = await twoLists({ mode: 'enforce' });
  assert.equal(p.matchName('staged.example', C)?.rule.list, 'staged');
  assert.equal(p.monitoredName!('staged.example', C), null);
  assert.equal(explainName(p, 'staged.example', C).decision, 'blocked');
});

void test('no monitored list: the monitored searches answer null at once', async () => {
  const { store } = await storeFor([{ name: 'l', text: 'x.example\n' }]);
  const p = store.current;
  assert.equal(p.monitoredName!('x.example', C), null);
  assert.equal(p.monitoredIp!('198.51.100.1', C), null);
  assert.equal(p.monitoredUrl!({ host: 'x.example', path: '/', query: '' }, C), null);
});

void test('policy tests treat a monitored list as not blocking', async () => {
  const p = await twoLists({ mode: 'monitor' });
  const parsed = parseExpectations(
    'allow staged.example\nblock both.example wechat\nblock staged.example\n',
    'mon.tests',
  );
  assert.deepEqual(parsed.errors, []);
  const failures = runExpectations(p, parsed.expectations);
  assert.equal(failures.length, 1, JSON.stringify(failures));
  assert.equal(failures[0].expectation.line, 3);
  assert.match(
    failures[0].actual,
    /^allowed: list staged is in monitor mode \(would be blocked by "staged\.example"/,
  );
});

void test('canaries skip a list in monitor mode: it is not expected to block', async () => {
  const { planProbes } = await import('../../src/canary/probe-plan.ts');
  const dir = await tempDir();
  const cfg = await policyConfig(dir, [
    { name: 'enforced', app: 'wechat', text: 'enforced.example\n' },
    { name: 'staged', app: 'kaspersky', category: 'update', text: 'staged.example\n' },
    { name: 'by-app', app: 'kaspersky', category: 'download', text: 'dl.staged.example\n' },
  ]);
  (cfg.lists as Record<string, unknown>[])[1].mode = 'monitor';
  cfg.blocking = { monitorApps: ['kaspersky'] };
  const plan = await planProbes(loaded(dir, cfg).config, dir, 'default');
  assert.deepEqual(
    plan.probes.map((p) => p.origin),
    ['enforced'],
  );
  assert.deepEqual(
    plan.skipped.map((s) => [s.list, s.reason]),
    [
      ['staged', 'in monitor mode (dry-run): not expected to block'],
      ['by-app', 'in monitor mode (dry-run): not expected to block'],
    ],
  );
});

void test('the audit record of a reload names a list switched between monitor and enforce', async () => {
  const { policyChange, policyFacts } = await import('../../src/audit/policy-change.ts');
  const enforced = policyFacts((await twoLists({ mode: 'enforce' })).lists());
  const monitored = policyFacts((await twoLists({ mode: 'monitor' })).lists());
  assert.notEqual(enforced.digest, monitored.digest, 'the mode is part of what is enforced');
  assert.deepEqual(policyChange(enforced, monitored).modes, { staged: 'monitor' });
  assert.deepEqual(policyChange(monitored, enforced).modes, { staged: 'enforce' });
  assert.equal(policyChange(enforced, enforced).modes, undefined);
});
