// Runs the real `dig` (or `kdig`) against banwall on loopback and parses what a test needs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DigResult {
  readonly status: string;
  readonly flags: string[];
  readonly answers: { name: string; ttl: number; type: string; data: string }[];
  readonly ede: string | undefined;
  readonly raw: string;
}

/** `dig @127.0.0.1 -p PORT NAME TYPE +tries=1 +time=2 [extra...]` */
export async function dig(port: number, name: string, type = 'A', extra: string[] = []): Promise<DigResult> {
  const { stdout } = await run(
    'dig',
    ['@127.0.0.1', '-p', String(port), name, type, '+tries=1', '+time=3', ...extra],
    {
      timeout: 15_000,
    },
  );
  return parseDig(stdout);
}

/**
 * dig for many names, a few processes at a time. A test that spawns dozens of digs at once starves
 * its own event loop, where a fake upstream answers: banwall then times out on the upstream and
 * answers SERVFAIL (EDE 22), which is the test's doing, not banwall's.
 */
export async function digAll(
  port: number,
  names: readonly string[],
  type = 'A',
  concurrency = 4,
): Promise<Map<string, DigResult>> {
  const out = new Map<string, DigResult>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next++];
      out.set(name, await dig(port, name, type));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
  return out;
}

export function parseDig(raw: string): DigResult {
  const status = /status: ([A-Z]+)/.exec(raw)?.[1] ?? 'NONE';
  const flags = (/;; flags: ([a-z ]+);/.exec(raw)?.[1] ?? '').trim().split(/\s+/);
  const ede = /EDE: ([^\n]+)/.exec(raw)?.[1];
  const answers: DigResult['answers'] = [];
  const section = /;; ANSWER SECTION:\n([\s\S]*?)(?:\n\n|$)/.exec(raw)?.[1] ?? '';
  for (const line of section.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (m) answers.push({ name: m[1], ttl: Number(m[2]), type: m[3], data: m[4] });
  }
  return { status, flags, answers, ede, raw };
}
