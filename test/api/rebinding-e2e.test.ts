// Issue 12 item 9, DNS rebinding, against a running banwall with its default `http` config: a page
// on attacker.example re-points its name at 127.0.0.1, so the victim's browser (here curl with
// --resolve) asks banwall's listener with `Host: attacker.example`. It must get 421, not the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { startBanwall, testConfig } from '../helpers/banwall.ts';
import { startFakeUpstream } from '../helpers/fake-upstream/dns.ts';

function curl(url: string, extra: string[] = []): Promise<{ status: number; body: string }> {
  const args = ['-s', '-m', '5', '-w', '\n%{http_code}', ...extra, url];
  return new Promise((resolve, reject) =>
    execFile('curl', args, { timeout: 10_000 }, (err, stdout) => {
      if (err) return reject(err);
      const nl = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(nl + 1)), body: stdout.slice(0, nl) });
    }),
  );
}

void test('DNS rebinding with the default http config: only IP literals and localhost are answered', async (t) => {
  const up = await startFakeUpstream();
  const plain = await startBanwall(testConfig([up.url]));
  t.after(async () => {
    await plain.stop();
    await up.close();
  });
  const port = plain.httpPort!;
  for (const path of ['/api/top', '/api/status', '/metrics']) {
    const rebound = await curl(`http://attacker.example:${port}${path}`, [
      '--resolve',
      `attacker.example:${port}:127.0.0.1`,
    ]);
    assert.equal(rebound.status, 421, `${path}: ${rebound.body}`);
  }
  assert.equal((await curl(`http://127.0.0.1:${port}/api/top`)).status, 200);
  assert.equal(
    (await curl(`http://localhost:${port}/api/top`, ['--resolve', `localhost:${port}:127.0.0.1`])).status,
    200,
  );
});
