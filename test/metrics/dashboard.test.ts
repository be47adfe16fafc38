// Static checks of dashboards/banwall.json (the live check, every expression returning data, is in
// prometheus.test.ts): Grafana's structure, and each part of the issue's dashboard list is covered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../helpers/banwall.ts';
import { HISTOGRAMS, ISSUE_METRICS } from './issue-metrics.ts';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}

void test('the dashboard is well-formed and covers every metric the operator needs', async () => {
  const dash = JSON.parse(await readFile(path.join(ROOT, 'dashboards/banwall.json'), 'utf8')) as {
    uid: string;
    title: string;
    panels: Panel[];
    templating: { list: { name: string }[] };
  };
  assert.equal(dash.uid, 'banwall');
  assert.deepEqual(
    dash.templating.list.map((v) => v.name),
    ['datasource', 'job', 'instance'],
  );
  const ids = new Set<number>();
  for (const p of dash.panels) {
    assert.ok(!ids.has(p.id), `panel id ${p.id} is unique`);
    ids.add(p.id);
    assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the 24-column grid`);
    if (p.type === 'row') continue;
    assert.equal(p.datasource?.uid, '${datasource}', `${p.title} uses the datasource variable`);
    assert.ok(p.targets && p.targets.length > 0, `${p.title} has queries`);
    const refIds = p.targets.map((t) => t.refId);
    assert.equal(new Set(refIds).size, refIds.length, `${p.title} has distinct refIds`);
    for (const t of p.targets) {
      assert.match(t.expr, /instance=~"\$instance"/, `${p.title}: ${t.expr} follows the instance picker`);
    }
  }
  const exprs = dash.panels
    .flatMap((p) => p.targets ?? [])
    .map((t) => t.expr)
    .join('\n');
  for (const metric of ISSUE_METRICS.map((m) => (HISTOGRAMS.has(m) ? `${m}_bucket` : m))) {
    assert.ok(exprs.includes(metric), `the dashboard charts ${metric}`);
  }
  // Issue 15.2: whether each ban holds.
  assert.match(exprs, /banwall_canary_ok/);
  assert.match(exprs, /banwall_canary_last_success_timestamp_seconds/);
  assert.match(exprs, /histogram_quantile\(0\.5, .*banwall_dns_request_duration_seconds_bucket/);
  assert.match(exprs, /histogram_quantile\(0\.99, .*banwall_dns_request_duration_seconds_bucket/);
});
