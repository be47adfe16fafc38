// deploy/compose.yaml against the Compose Specification JSON schema (the copy the `dclint` package
// ships, current with the spec: top-level `name`, `include`, `models`), validated with ajv; then the
// files it mounts exist, and its Prometheus scrapes the port banwall's container config serves on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { ROOT } from '../helpers/banwall.ts';
import { admitted } from '../helpers/http-access.ts';
import { HttpAccess } from '../../src/api/access.ts';
import { loadConfig } from '../../src/config/load.ts';
import { hasTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const DEPLOY = path.join(ROOT, 'deploy');

interface Compose {
  services: Record<string, { volumes?: string[]; ports?: string[]; build?: { context: string } }>;
}

async function loadCompose(): Promise<Compose> {
  return parse(await readFile(path.join(DEPLOY, 'compose.yaml'), 'utf8')) as Compose;
}

void test('compose.yaml is valid against the Compose Specification schema', async () => {
  // dclint does not export its schema as a module: read the file from the installed package.
  const pkg = createRequire(import.meta.url).resolve('dclint/package.json');
  const schema = JSON.parse(
    await readFile(path.join(path.dirname(pkg), 'schemas/compose.schema.json'), 'utf8'),
  ) as Record<string, unknown>;
  // It is a draft-07 schema (ajv's default) whose `$schema` spells the URI without the `#` ajv knows.
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  const compose = await loadCompose();
  const ok = validate(compose);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  // The check is not vacuous: a misspelt key is refused.
  assert.equal(validate({ services: { banwall: { imag: 'x' } } }), false);
});

void test('every file compose mounts or builds from exists', async () => {
  const compose = await loadCompose();
  for (const [name, svc] of Object.entries(compose.services)) {
    for (const v of svc.volumes ?? []) {
      const src = v.split(':')[0];
      if (!src.startsWith('.')) continue; // a named volume
      await access(path.join(DEPLOY, src)).catch(() => assert.fail(`${name}: ${src} does not exist`));
    }
    if (svc.build) await access(path.join(DEPLOY, svc.build.context, 'Dockerfile'));
  }
});

void test('banwall publishes what the image exposes, and Prometheus scrapes its HTTP port', async () => {
  const compose = await loadCompose();
  const dockerfile = await readFile(path.join(ROOT, 'Dockerfile'), 'utf8');
  const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)![1].split(/\s+/);
  for (const p of compose.services.banwall.ports ?? []) {
    const container = p.split(':').at(-1)!;
    assert.ok(exposed.includes(container.includes('/') ? container : `${container}/tcp`), `${p} not exposed`);
  }
  const container = parse(await readFile(path.join(ROOT, 'config/container.yaml'), 'utf8')) as {
    http: { listen: string[] };
  };
  const httpPort = container.http.listen[0].split(':').at(-1);
  const prom = await readFile(path.join(DEPLOY, 'compose/prometheus.yml'), 'utf8');
  assert.match(prom, new RegExp(`banwall:${httpPort}`));
  // Prometheus scrapes from the compose network with `Host: banwall:9153`: the listener must admit it.
  const cfg = (await loadConfig(path.join(ROOT, 'config/container.yaml'))).config;
  const access = new HttpAccess(cfg.http, cfg.proxy?.allowedClients);
  assert.equal(admitted(access, 'probe', '172.18.0.3', '172.18.0.2', { host: `banwall:${httpPort}` }), 200);
  assert.equal(admitted(access, 'read', '172.18.0.3', '172.18.0.2', { host: `banwall:${httpPort}` }), 403);
  assert.match(dockerfile, new RegExp(`127\\.0\\.0\\.1:${httpPort}/readyz`), 'HEALTHCHECK port');
});

void test('the compose Prometheus config and the alert rules pass promtool', async (t) => {
  if (!hasTool('promtool')) return t.skip('promtool not installed');
  const alerts = path.join(DEPLOY, 'prometheus/alerts.yml');
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-prom-'));
  try {
    // The rule file path inside the container, pointed at the file in the repository.
    const prom = (await readFile(path.join(DEPLOY, 'compose/prometheus.yml'), 'utf8')).replace(
      '/etc/prometheus/alerts.yml',
      alerts,
    );
    await writeFile(path.join(dir, 'prometheus.yml'), prom);
    await run('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')], { timeout: 20_000 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
