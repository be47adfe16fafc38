// Runs the real `dig` and `kdig` (over UDP/TCP, DoT or DoH) against banwall on loopback and parses what
// a test needs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TEST_HOSTNAME } from './certs.ts';
import { hasTool } from './tools.ts';

const run = promisify(execFile);

/** Why a test that needs the real `dig` and `kdig` must skip, or false when both are installed. */
export const NO_DIG_KDIG: string | false = ['dig', 'kdig'].every(hasTool)
  ? false
  : 'needs dig and kdig (Debian packages dnsutils, knot-dnsutils; .ci/run installs them)';

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

/** One expected answer: the name, its type, the rcode dig must see, and dig's extra arguments. */
export type ExpectedRcode = readonly [name: string, type: string, status: string, extra?: string[]];

/** Asks dig each name in turn and asserts its rcode, naming the query that differs. */
export async function assertRcodes(port: number, expected: readonly ExpectedRcode[]): Promise<void> {
  for (const [name, type, status, extra] of expected) {
    const what = [name, type, ...(extra ?? [])].join(' ');
    assert.equal((await dig(port, name, type, extra)).status, status, what);
  }
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

/** What a test reads from real `kdig` output: rcode, header flags, reply size and the COOKIE option. */
export interface KdigResult {
  readonly status: string;
  readonly flags: string[];
  /** "Received N B": the reply's size on the wire. */
  readonly size: number;
  /** The COOKIE option as kdig prints it (client cookie, then server cookie), lower-case hex. */
  readonly cookie: string | undefined;
  readonly answers: number;
  readonly raw: string;
}

/** `kdig @HOST -p PORT +time=3 +retry=0 [args...]` over UDP unless args say otherwise. */
export async function kdig(port: number, args: string[], host = '127.0.0.1'): Promise<KdigResult> {
  const { stdout } = await run('kdig', [`@${host}`, '-p', String(port), '+time=3', '+retry=0', ...args], {
    timeout: 15_000,
  });
  // kdig prints every reply it got (e.g. a BADCOOKIE, then the answer to its retry): read the last.
  const last = stdout.slice(Math.max(0, stdout.lastIndexOf(';; ->>HEADER<<-')));
  return {
    status: /status: ([A-Z]+)/.exec(last)?.[1] ?? 'NONE',
    flags: (/;; Flags: ([a-z ]+);/.exec(last)?.[1] ?? '').trim().split(/\s+/),
    size: Number(/;; Received (\d+) B/.exec(last)?.[1] ?? 0),
    cookie: /;; COOKIE: ([0-9A-Fa-f]+)/.exec(last)?.[1]?.toLowerCase(),
    answers: Number(/ANSWER: (\d+)/.exec(last)?.[1] ?? 0),
    raw: stdout,
  };
}

/** How `kdigEncrypted` reaches banwall: DoT, DoH POST or DoH GET, verifying the test CA. */
export type Transport = 'tls' | 'https' | 'https-get';

export async function kdigEncrypted(
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
