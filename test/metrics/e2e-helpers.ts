// Shared by the observability end-to-end tests: a banwall with two lists and a proxy in front of a
// fake upstream, plus small HTTP and process helpers.
import { execFile } from 'node:child_process';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBanwall, testConfig, type RunningBanwall } from '../helpers/banwall.ts';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';

export const TOKEN = 'e2e-observability-token-0123456789';

export interface Stack {
  readonly up: FakeUpstream;
  readonly bw: RunningBanwall;
  readonly base: string;
  readonly dir: string;
  close(): Promise<void>;
}

/**
 * banwall with a WeChat `core` list and a Kaspersky `update` list (files), the proxy on, the query log
 * to a file, in front of a fake upstream that knows `allowed.test`.
 */
export async function startStack(extra: Record<string, unknown> = {}): Promise<Stack> {
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
  let bw: RunningBanwall;
  try {
    bw = await startBanwall(config, { dir });
  } catch (err) {
    await up.close();
    throw err;
  }
  return {
    up,
    bw,
    dir,
    base: `http://127.0.0.1:${bw.httpPort}`,
    close: async () => {
      await bw.stop();
      await up.close();
    },
  };
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

/** curl through banwall's proxy (extra arguments first); resolves with the HTTP status (000 when refused). */
export async function curlViaProxy(proxyPort: number, url: string, extra: string[] = []): Promise<string> {
  const r = await run('curl', [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--max-time',
    '5',
    ...extra,
    '-x',
    `http://127.0.0.1:${proxyPort}`,
    url,
  ]);
  return r.out.trim();
}
