// Runs the real `kdig` over DoT or DoH against a loopback port, verifying the test CA.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseDig, type DigResult } from './dig.ts';
import { TEST_HOSTNAME } from './certs.ts';

const run = promisify(execFile);

export type Transport = 'tls' | 'https' | 'https-get';

export async function kdig(
  transport: Transport,
  port: number,
  name: string,
  type: string,
  caFile: string,
  extra: string[] = [],
): Promise<DigResult> {
  const via =
    transport === 'tls'
      ? []
      : transport === 'https'
        ? ['+https=/dns-query']
        : ['+https=/dns-query', '+https-get'];
  const { stdout } = await run(
    'kdig',
    [
      '@127.0.0.1',
      '-p',
      String(port),
      `+tls-ca=${caFile}`,
      `+tls-hostname=${TEST_HOSTNAME}`,
      ...via,
      '+time=3',
      '+retry=0',
      ...extra,
      name,
      type,
    ],
    { timeout: 15_000 },
  );
  return parseKdig(stdout);
}

/** kdig prints `;; ->>HEADER<<- opcode: QUERY; status: NOERROR; id: 0` and dig-like sections. */
export function parseKdig(raw: string): DigResult {
  const parsed = parseDig(raw);
  const answers: DigResult['answers'] = [];
  const section = /;; ANSWER SECTION:\n([\s\S]*?)(?:\n\n|$)/.exec(raw)?.[1] ?? '';
  for (const line of section.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (m) answers.push({ name: m[1], ttl: Number(m[2]), type: m[3], data: m[4] });
  }
  return { ...parsed, answers };
}
