// `banwall reload`: asks the running banwall to reload its config and lists (POST /api/reload on its
// HTTP listener, with the API token), and prints the outcome. Same effect as SIGHUP, but it reports
// whether the new policy was accepted and works where signals cannot reach (containers, other users).
import { request } from 'undici';
import type { CliArgs } from './args.ts';
import { loadCommandConfig } from './config-arg.ts';
import { apiToken, TOKEN_ENV } from '../api/auth.ts';

/** A wildcard listen address is reached through loopback of the same family. */
function reachable(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export async function run(args: CliArgs): Promise<number> {
  const loaded = await loadCommandConfig(args, { prefix: 'banwall reload: ', exitCode: 2 });
  if (typeof loaded === 'number') return loaded;
  const http = loaded.config.http;
  const token = apiToken(http.token);
  if (token === undefined) {
    process.stderr.write(
      `banwall reload: no API token: set http.token in ${loaded.file} or ${TOKEN_ENV} in the environment ` +
        '(the running banwall must have the same one), or send SIGHUP to the banwall process.\n',
    );
    return 2;
  }
  const { host, port } = http.listen[0];
  const url = `http://${reachable(host)}:${port}/api/reload`;
  let status: number;
  let body: {
    ok?: boolean;
    generation?: number;
    errors?: string[];
    error?: string;
    lists?: { name: string; entries: number; badLines: number }[];
  };
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    status = res.statusCode;
    body = (await res.body.json()) as typeof body;
  } catch (err) {
    process.stderr.write(`banwall reload: cannot reach banwall at ${url}: ${(err as Error).message}\n`);
    return 2;
  }
  if (status === 200 && body.ok) {
    process.stdout.write(`reloaded: policy generation ${body.generation}\n${badLines(body.lists)}`);
    return 0;
  }
  if (status === 422) {
    process.stderr.write(
      `banwall reload: rejected, the previous policy keeps serving:\n${(body.errors ?? []).map((e) => `  ${e}`).join('\n')}\n${badLines(body.lists)}`,
    );
    return 1;
  }
  process.stderr.write(`banwall reload: HTTP ${status}: ${body.error ?? JSON.stringify(body)}\n`);
  return 1;
}

/** The lists with bad lines (skipped by banwall), one line each; `banwall check` shows the lines. */
function badLines(lists: readonly { name: string; entries: number; badLines: number }[] = []): string {
  return lists
    .filter((l) => l.badLines > 0)
    .map(
      (l) => `  list ${l.name}: ${l.entries} entries, ${l.badLines} bad lines skipped (see banwall check)\n`,
    )
    .join('');
}
