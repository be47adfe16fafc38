import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { HttpServer } from '../../src/api/http-server.ts';
import { runCli as cli } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { fakeApp } from './fake-app.ts';

const TOKEN = 'reload-token-0123456789abcdef';

void test('banwall reload posts to the running banwall with the token and reports the outcome', async (t) => {
  const app = fakeApp({ http: { listen: ['127.0.0.1:0'], token: TOKEN } });
  const server = new HttpServer(app, pino({ level: 'silent' }));
  await server.start();
  t.after(() => server.stop());
  const { port } = server.addresses()[0];

  const dir = await tempDir(t, 'banwall-reload-');
  const file = path.join(dir, 'banwall.yaml');
  const config = {
    dns: { upstreams: ['udp://127.0.0.1:53'] },
    http: { listen: [`127.0.0.1:${port}`], token: TOKEN },
  };
  await writeFile(file, stringify(config));

  let r = await cli(['reload', '--config', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /reloaded: policy generation 4/);
  assert.deepEqual(app.reloads, ['api']);

  app.reloadResult = { ok: false, generation: 4, errors: ['lists[2].source: cannot read /nope'] };
  r = await cli(['reload', '--config', file]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /rejected, the previous policy keeps serving:\n {2}lists\[2\]\.source: cannot read \/nope/,
  );

  // A wrong token (the environment overrides the file) is refused by the server.
  r = await cli(['reload', '--config', file], { env: { BANWALL_API_TOKEN: 'not-the-right-token-xxxxxx' } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /HTTP 403: wrong API token/);

  // Without any token the command says how to set one, without calling the server.
  await writeFile(file, stringify({ ...config, http: { listen: [`127.0.0.1:${port}`] } }));
  r = await cli(['reload', '--config', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no API token: set http\.token/);
  assert.equal(app.reloads.length, 2, 'refused calls never reach app.reload');
});
