// The Docker build without a container engine: read the Dockerfile, copy what its COPY lines copy from
// the build context into a clean directory laid out as in the image, run its `npm ci` there, then
// start banwall from that directory with the image's config (config/container.yaml) moved to loopback
// test ports and a loopback fake upstream, and ask it with dig. Its HEALTHCHECK command is run too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ROOT, startBanwall, type RunningBanwall } from '../helpers/banwall.ts';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';

const run = promisify(execFile);

interface DockerfileSteps {
  /** [source in the context, destination in the image] of every COPY without --from, final stage. */
  readonly copies: [string, string][];
  readonly npmCi: string[];
  readonly workdir: string;
  readonly healthcheck: string[];
  readonly config: string;
}

/** Reads the steps this test replays; fails loudly if the Dockerfile changes shape. */
export function readDockerfile(text: string): DockerfileSteps {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const copies: [string, string][] = [];
  let npmCi: string[] = [];
  let workdir = '/';
  let healthcheck: string[] = [];
  let config = '';
  for (const line of lines) {
    const [instr, ...rest] = line.trim().split(/\s+/);
    if (instr === 'COPY' && !rest[0].startsWith('--from')) {
      const dest = rest[rest.length - 1];
      for (const src of rest.slice(0, -1)) {
        const target =
          dest.endsWith('/') || dest === '.' || dest === './' ? path.posix.join(dest, src) : dest;
        copies.push([src, path.posix.resolve(workdir, target)]);
      }
    } else if (instr === 'RUN' && line.includes('npm ci')) {
      npmCi = /npm ci[^&]*/.exec(line)![0].trim().split(/\s+/);
    } else if (instr === 'WORKDIR') {
      workdir = rest[0];
    } else if (instr === 'HEALTHCHECK') {
      healthcheck = JSON.parse(/CMD (\[.*\])/.exec(line)![1]) as string[];
    } else if (instr === 'ENV') {
      config = /BANWALL_CONFIG=(\S+)/.exec(line)?.[1] ?? config;
    }
  }
  return { copies, npmCi, workdir, healthcheck, config };
}

void describe('Dockerfile install steps, replayed in a clean directory', { skip: NO_DIG_KDIG }, () => {
  let image: string;
  let steps: DockerfileSteps;
  let upstream: FakeUpstream;
  let bw: RunningBanwall;
  const inImage = (p: string) => path.join(image, p);

  before(async () => {
    steps = readDockerfile(await readFile(path.join(ROOT, 'Dockerfile'), 'utf8'));
    // A stand-in for the image's root file system.
    image = await mkdtemp(path.join(tmpdir(), 'banwall-image-'));
    for (const [src, dest] of steps.copies) {
      await mkdir(path.dirname(inImage(dest)), { recursive: true });
      await cp(path.join(ROOT, src), inImage(dest), { recursive: true });
    }
    // The deps stage: the same npm ci, from the npm cache alone (5 s here; --prefer-offline still
    // revalidates and took 15 s), and from the registry only when the cache lacks a package.
    const npm = (mode: string) =>
      run('npm', [...steps.npmCi.slice(1), mode], {
        cwd: inImage(steps.workdir),
        timeout: 120_000,
        env: { ...process.env, NODE_ENV: 'production' },
      });
    await npm('--offline').catch(() => npm('--prefer-offline'));
    upstream = await startFakeUpstream({ zone: { 'www.example': [{ type: 'A', data: '192.0.2.10' }] } });

    // The container config, moved onto loopback test ports and the fake upstream; paths into the
    // image are re-rooted into the stand-in directory.
    const text = (await readFile(inImage(steps.config), 'utf8')).replaceAll(
      `${steps.workdir}/`,
      `${inImage(steps.workdir)}/`,
    );
    const cfg = parse(text) as Record<string, Record<string, unknown>>;
    cfg.dns.listen = ['127.0.0.1:0'];
    cfg.dns.upstreams = [upstream.url];
    cfg.proxy.listen = ['127.0.0.1:0'];
    cfg.http.listen = ['127.0.0.1:0'];
    cfg.blocking.cacheDir = inImage('/var/lib/banwall/lists');
    bw = await startBanwall(cfg, {
      dir: path.dirname(inImage(steps.config)),
      cli: path.join(inImage(steps.workdir), 'bin/banwall.js'),
      env: { NODE_ENV: 'production' },
      timeoutMs: 30_000,
    });
  });

  after(async () => {
    await bw?.stop();
    await upstream?.close();
    if (image) await rm(image, { recursive: true, force: true });
  });

  void it('installs production dependencies only', async () => {
    const modules = path.join(inImage(steps.workdir), 'node_modules');
    await stat(path.join(modules, 'dns2'));
    await assert.rejects(stat(path.join(modules, 'typescript')), 'no dev dependency in the image');
    await assert.rejects(stat(path.join(modules, 'eslint')));
  });

  void it('serves DNS from the installed copy with the container config', async () => {
    const ok = await dig(bw.dnsPort, 'www.example');
    assert.equal(ok.status, 'NOERROR');
    assert.equal(ok.answers[0]?.data, '192.0.2.10');
    // The curated lists from the image are loaded.
    const blocked = await dig(bw.dnsPort, 'weixin.qq.com');
    assert.equal(blocked.status, 'NXDOMAIN');
    assert.equal(upstream.queries.filter((q) => q.name === 'weixin.qq.com').length, 0);
  });

  void it('passes its HEALTHCHECK command', async () => {
    assert.ok(bw.httpPort, 'HTTP listener bound');
    const [cmd, ...args] = steps.healthcheck;
    assert.equal(cmd, 'node');
    const script = args.map((a) => a.replace('127.0.0.1:9153', `127.0.0.1:${bw.httpPort}`));
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await run(process.execPath, script, { timeout: 5_000 });
        break;
      } catch (err) {
        // /readyz waits for an upstream to have answered; the dig above made sure one did.
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  });
});
