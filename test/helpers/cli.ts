// The real `banwall` command line (bin/banwall.js) as an operator runs it, for the tests of its
// commands: the exit code and both outputs, never a rejection on a non-zero exit.
import { execFile } from 'node:child_process';
import { CLI, ROOT } from './banwall.ts';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Another Node binary (the Node version check). */
  readonly node?: string;
  /** Added to this process's environment; `BANWALL_API_TOKEN` is passed only when named here. */
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
}

/** `node bin/banwall.js ARGS` from the repository root. */
export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  if (!opts.env || !('BANWALL_API_TOKEN' in opts.env)) delete env.BANWALL_API_TOKEN;
  return new Promise((resolve) => {
    execFile(
      opts.node ?? process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env, timeout: opts.timeoutMs ?? 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}
