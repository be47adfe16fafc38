// The list metrics, read through the shared registry as a scrape would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registry } from '../../src/metrics/registry.ts';
import { registerPolicyMetrics } from '../../src/policy/metrics.ts';
import { storeFor } from './policy-helpers.ts';

void test('banwall_list_* metrics per list', async () => {
  const { store } = await storeFor([
    { name: 'wechat-core', text: 'weixin.qq.com\nwechat.com\nbad..name\n' },
    { name: 'kaspersky-update', app: 'kaspersky', category: 'update', text: 'upd.kaspersky.com\n' },
  ]);
  registerPolicyMetrics(store);
  const text = await registry.metrics();
  assert.match(text, /banwall_list_entries\{list="wechat-core",app="wechat",category="core"\} 2/);
  assert.match(text, /banwall_list_entries\{list="kaspersky-update",app="kaspersky",category="update"\} 1/);
  assert.match(text, /banwall_list_bad_lines\{list="wechat-core"\} 1/);
  assert.match(text, /banwall_list_bad_lines\{list="kaspersky-update"\} 0/);
  assert.match(text, /# TYPE banwall_list_refresh_failures_total counter/);
  assert.match(text, /banwall_list_refresh_failures_total\{list="wechat-core"\} 0/);
  const ts = Number(
    /banwall_list_last_success_timestamp_seconds\{list="wechat-core"\} (\S+)/.exec(text)?.[1],
  );
  assert.ok(Math.abs(ts - Date.now() / 1000) < 60, `timestamp ${ts}`);
  store.close();
});
