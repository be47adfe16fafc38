// Issue 12 item 9, DNS rebinding, against a running banwall with its default `http` config: a page
// on attacker.example re-points its name at 127.0.0.1, so the victim's browser (here curl with
// --resolve) asks banwall's listener with `Host: attacker.example`. It must get 421, not the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBanwall, testConfig } from '../helpers/banwall.ts';
import { startFakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { curl, type CurlResult } from '../helpers/curl.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('curl');

function get(url: string, extra: string[] = []): Promise<CurlResult> {
  return curl([...extra, url], 5000);
}

void test(
  'DNS rebinding with the default http config: only IP literals and localhost are answered',
  { skip: TOOLS_SKIP },
  async (t) => {
    const up = await startFakeUpstream();
    const plain = await startBanwall(testConfig([up.url]));
    t.after(async () => {
      await plain.stop();
      await up.close();
    });
    const port = plain.httpPort!;
    for (const path of ['/api/top', '/api/status', '/metrics']) {
      const rebound = await get(`http://attacker.example:${port}${path}`, [
        '--resolve',
        `attacker.example:${port}:127.0.0.1`,
      ]);
      assert.equal(rebound.status, 421, `${path}: ${rebound.body}`);
    }
    assert.equal((await get(`http://127.0.0.1:${port}/api/top`)).status, 200);
    assert.equal(
      (await get(`http://localhost:${port}/api/top`, ['--resolve', `localhost:${port}:127.0.0.1`])).status,
      200,
    );
  },
);
