// Container smoke test with a real engine (not part of `npm test`: CI has no container engine):
//
//   /work/shared/tools/container-base.sh            # once: a local node:24-bookworm-slim
//   podman build --pull=never --format docker -t banwall:test .
//   node test/deploy/podman-smoke.ts [image]
//
// Everything stays on loopback: (1) host networking with every listener on 127.0.0.1 (53, 853, 443,
// 3128, 9153: proves the non-root process binds privileged ports) and a fake upstream on host loopback;
// (2) the image's own config with ports published on 127.0.0.1 only and an upstream on the container's
// own loopback (nothing listens there: only locally answered, blocked names can be asked).
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { ROOT } from '../helpers/banwall.ts';
import { dig, kdigEncrypted } from '../helpers/dig.ts';
import { startFakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { issueLeaf, makeCa } from '../helpers/certs.ts';

const run = promisify(execFile);
const image = process.argv[2] ?? 'banwall:test';
const results: [string, boolean, string][] = [];

function check(name: string, ok: boolean, detail = ''): void {
  results.push([name, ok, detail]);
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}\n`);
}

async function podman(...args: string[]): Promise<string> {
  const { stdout } = await run('podman', args, { timeout: 60_000 });
  return stdout.trim();
}

async function waitStarted(name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const logs = await podman('logs', name).catch(() => '');
    if (logs.includes('"msg":"banwall started"')) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${name} did not start: ${await podman('logs', name).catch(() => '')}`);
}

/** Starts the image as container `name` with its config dir `conf` and the engine's `args`. */
async function runBanwall(name: string, conf: string, args: string[]): Promise<void> {
  await podman('run', '-d', '--name', name, ...args, '-v', `${conf}:/etc/banwall:ro`, image);
  await waitStarted(name);
}

async function containerConfig(): Promise<Record<string, Record<string, unknown>>> {
  return parse(await readFile(path.join(ROOT, 'config/container.yaml'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
}

async function hostMode(): Promise<void> {
  const upstream = await startFakeUpstream({ zone: { 'www.example': [{ type: 'A', data: '192.0.2.10' }] } });
  const conf = await mkdtemp(path.join(tmpdir(), 'banwall-podman-'));
  const ca = await makeCa();
  const name = 'banwall-smoke-host';
  try {
    await mkdir(path.join(conf, 'tls'));
    await issueLeaf(ca.dir, 'srv', ca);
    await copyFile(path.join(ca.dir, 'srv.pem'), path.join(conf, 'tls/tls.crt'));
    await copyFile(path.join(ca.dir, 'srv.key'), path.join(conf, 'tls/tls.key'));
    await chmod(path.join(conf, 'tls/tls.key'), 0o644);
    await chmod(conf, 0o755);
    const cfg = await containerConfig();
    cfg.dns.listen = ['127.0.0.1:53'];
    cfg.dns.upstreams = [upstream.url];
    cfg.dns.dot = { listen: ['127.0.0.1:853'], cert: 'tls/tls.crt', key: 'tls/tls.key' };
    cfg.dns.doh = { listen: ['127.0.0.1:443'], cert: 'tls/tls.crt', key: 'tls/tls.key' };
    cfg.proxy.listen = ['127.0.0.1:3128'];
    cfg.http.listen = ['127.0.0.1:9153'];
    await writeFile(path.join(conf, 'banwall.yaml'), stringify(cfg));
    await runBanwall(name, conf, [
      '--network=host',
      '--cap-drop=ALL',
      '--cap-add=NET_BIND_SERVICE',
      '--read-only',
    ]);
    const status = await podman('exec', name, 'cat', '/proc/1/status');
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    const capEff = /^CapEff:\s+(\S+)/m.exec(status)?.[1];
    check('runs as uid 1000 (node)', uid === '1000', `uid ${uid}`);
    check('only CAP_NET_BIND_SERVICE effective', capEff === '0000000000000400', `CapEff ${capEff}`);
    const ok = await dig(53, 'www.example');
    check('UDP 53 answers from the fake upstream', ok.answers[0]?.data === '192.0.2.10', ok.status);
    const tcp = await dig(53, 'www.example', 'A', ['+tcp']);
    check('TCP 53 answers', tcp.answers[0]?.data === '192.0.2.10', tcp.status);
    const blocked = await dig(53, 'weixin.qq.com');
    check('weixin.qq.com blocked by the curated lists', blocked.status === 'NXDOMAIN', blocked.ede ?? '');
    const dot = await kdigEncrypted('tls', 853, 'www.example', 'A', ca.certFile);
    check('DoT on 853 (kdig +tls)', dot.answers[0]?.data === '192.0.2.10', dot.status);
    const doh = await kdigEncrypted('https', 443, 'www.example', 'A', ca.certFile);
    check('DoH on 443 (kdig +https)', doh.answers[0]?.data === '192.0.2.10', doh.status);
    const health = await run('podman', ['healthcheck', 'run', name], { timeout: 30_000 }).then(
      () => 'healthy',
      (e: { stdout?: string; stderr?: string }) => `unhealthy ${e.stdout ?? ''}${e.stderr ?? ''}`,
    );
    check('HEALTHCHECK (/readyz)', health === 'healthy', health);
    const pac = await fetch('http://127.0.0.1:9153/proxy.pac').then((r) => r.text());
    check('/proxy.pac served', pac.includes('FindProxyForURL'));
    const started = Date.now();
    await podman('stop', '-t', '10', name);
    const code = await podman('inspect', '--format', '{{.State.ExitCode}}', name);
    check('SIGTERM: graceful exit 0', code === '0', `exit ${code} after ${Date.now() - started} ms`);
  } finally {
    await podman('rm', '-f', '-v', name).catch(() => '');
    await upstream.close();
    await rm(conf, { recursive: true, force: true });
    await rm(ca.dir, { recursive: true, force: true });
  }
}

/** A port free for both UDP and TCP on 127.0.0.1 right now (the fake upstream binds both). */
async function freePort(): Promise<number> {
  const probe = await startFakeUpstream();
  await probe.close();
  return probe.port;
}

async function bridgeMode(): Promise<void> {
  const dnsPort = await freePort();
  const httpPort = await freePort();
  const conf = await mkdtemp(path.join(tmpdir(), 'banwall-podman-'));
  const name = 'banwall-smoke-bridge';
  try {
    await chmod(conf, 0o755);
    const cfg = await containerConfig();
    // The image's config as shipped, except the upstream: the container's own loopback, so nothing
    // leaves the machine. Only names the policy answers itself can be asked.
    cfg.dns.upstreams = ['udp://127.0.0.1:5300'];
    await writeFile(path.join(conf, 'banwall.yaml'), stringify(cfg));
    const published = [`${dnsPort}:53/udp`, `${dnsPort}:53/tcp`, `${httpPort}:9153`];
    await runBanwall(
      name,
      conf,
      published.flatMap((p) => ['-p', `127.0.0.1:${p}`]),
    );
    const blocked = await dig(dnsPort, 'dns.weixin.qq.com');
    check(
      `published 127.0.0.1:${dnsPort} → 53/udp, blocked name`,
      blocked.status === 'NXDOMAIN',
      blocked.status,
    );
    const canary = await dig(dnsPort, 'use-application-dns.net', 'A', ['+tcp']);
    check('published 53/tcp, Firefox canary NXDOMAIN', canary.status === 'NXDOMAIN', canary.status);
    const healthz = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) => r.status);
    check('published 9153, /healthz', healthz === 200, String(healthz));
    // A name the upstream must answer: it cannot (nothing listens there), so it is marked down.
    const fail = await dig(dnsPort, 'www.example').catch(() => null);
    check(
      'allowed name with the upstream down: SERVFAIL',
      fail?.status === 'SERVFAIL',
      fail?.status ?? 'timeout',
    );
    const readyz = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.status);
    check('/readyz unready with no upstream answering', readyz === 503, String(readyz));
  } finally {
    await podman('rm', '-f', '-v', name).catch(() => '');
    await rm(conf, { recursive: true, force: true });
  }
}

try {
  await hostMode();
  await bridgeMode();
} catch (err) {
  check('smoke run', false, (err as Error).message);
}
const failed = results.filter((r) => !r[1]).length;
process.stdout.write(`${results.length - failed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 ? 1 : 0;
