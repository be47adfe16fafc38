// The alert rules: promtool accepts them, and `promtool test rules` shows each alert fires on the
// situation it describes and stays quiet otherwise (test/metrics/alerts-rules.test.yml).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT } from '../helpers/banwall.ts';
import { run } from './e2e-helpers.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('promtool');

void test('promtool check rules accepts deploy/prometheus/alerts.yml', { skip: TOOLS_SKIP }, async () => {
  const r = await run('promtool', ['check', 'rules', path.join(ROOT, 'deploy/prometheus/alerts.yml')]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS: \d+ rules found/);
});

void test(
  'promtool check config accepts the sample deploy/prometheus/prometheus.yml',
  { skip: TOOLS_SKIP },
  async () => {
    const r = await run('promtool', ['check', 'config', path.join(ROOT, 'deploy/prometheus/prometheus.yml')]);
    assert.equal(r.code, 0, r.out);
  },
);

void test('each alert fires on its situation (promtool test rules)', { skip: TOOLS_SKIP }, async () => {
  const r = await run('promtool', ['test', 'rules', path.join(ROOT, 'test/metrics/alerts-rules.test.yml')]);
  assert.equal(r.code, 0, r.out);
});
