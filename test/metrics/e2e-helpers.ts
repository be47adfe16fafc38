// Shared by the observability end-to-end tests: a banwall with two lists and a proxy in front of a
// fake upstream, plus a helper to run a command (curl through the proxy is helpers/curl.ts).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBanwall, testConfig, type RunningBanwall } from '../helpers/banwall.ts';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { onCleanup, type Cleanup } from '../helpers/cleanup.ts';

export const TOKEN = 'e2e-observability-token-0123456789';

export interface Stack {
  readonly up: FakeUpstream;
  readonly bw: RunningBanwall;
  readonly base: string;
  readonly dir: string;
  /** Stops banwall and the upstream, removes `dir`. */
  close(): Promise<void>;
}

/**
 * banwall with a WeChat `core` list and a Kaspersky `update` list (files), the proxy on, the query log
 * to a file, in front of a fake upstream that knows `allowed.test`. `extra` sections are merged into
 * the config; `cleanup` (a test's context) closes it all when the test ends.
 */
export async function startStack(extra: Record<string, unknown> = {}, cleanup?: Cleanup): Promise<Stack> {
  const up = await startFakeUpstream({
    zone: {
      'allowed.test': [{ type: 'A', data: '127.0.0.1' }],
      'www.allowed.test': [{ type: 'A', data: '127.0.0.1' }],
    },
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-obs-'));
  await writeFile(path.join(dir, 'wechat-core.txt'), 'weixin.qq.com\nwechat.com\n');
  await writeFile(path.join(dir, 'kaspersky-update.txt'), 'upd.kaspersky.com\n');
  const config = testConfig([up.url], {
    http: { listen: ['127.0.0.1:0'], token: TOKEN },
    lists: [
      { name: 'wechat-core', app: 'wechat', category: 'core', source: 'wechat-core.txt' },
      { name: 'kaspersky-update', app: 'kaspersky', category: 'update', source: 'kaspersky-update.txt' },
    ],
    groups: [{ name: 'default', lists: ['wechat-core', 'kaspersky-update'] }],
    // The test origin is on this host's loopback, which the proxy reaches only when allowInternal lists it.
    proxy: { listen: ['127.0.0.1:0'], allowInternal: ['127.0.0.0/8'] },
    queryLog: { enabled: true, target: 'query.log' },
    ...extra,
  });
  const closeRest = async () => {
    await up.close();
    await rm(dir, { recursive: true, force: true });
  };
  let bw: RunningBanwall;
  try {
    bw = await startBanwall(config, { dir });
  } catch (err) {
    await closeRest();
    throw err;
  }
  const close = async () => {
    await bw.stop();
    await closeRest();
  };
  if (cleanup) onCleanup(cleanup, close);
  return { up, bw, dir, base: `http://127.0.0.1:${bw.httpPort}`, close };
}

/** Runs a command, resolving with its exit code and combined output (never rejects). */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 15_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
    child.stdin?.end(opts.input ?? '');
  });
}
