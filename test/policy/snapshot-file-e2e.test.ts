// The compiled policy snapshot file (blocking.cacheDir/policy.snapshot) against a real banwall: a
// restart takes the policy from it and answers every name as the start from text did (the shipped
// lists, allow entries and policy tests, plus a generated 150,000-name list); a corrupt, old-version
// or truncated file is set aside with the reason logged and the lists compiled from text; a reload
// (compiled in the worker thread) swaps the new policy in, and a refused one keeps the old serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { open, readFile, stat, writeFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { startBanwall, testConfig, ROOT, type RunningBanwall } from '../helpers/banwall.ts';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { udpExchange, rcodeOf, ancountOf } from '../helpers/dns-client.ts';
import { queryPacket } from '../helpers/dns-query.ts';
import { MUST_BLOCK, MUST_NOT_BLOCK } from './fact-sheet-names.ts';
import { tempDir } from './policy-helpers.ts';

const BIG = 150_000;
const bigName = (i: number) => `n${i}.g${i % 977}.bulk${i % 5}.test`;
/** Generated names asked: listed ones, their subdomains, and names next to them that are not listed. */
const bigProbes = Array.from({ length: 60 }, (_, k) => {
  const i = (k * 2503) % BIG;
  return [bigName(i), `sub.${bigName(i)}`, `n${i}x.g${i % 977}.bulk${i % 5}.test`];
}).flat();
const probes = [...Object.keys(MUST_BLOCK), ...Object.keys(MUST_NOT_BLOCK), ...bigProbes, 'reloaded.test'];

let up: FakeUpstream;
let dir: string;
let config: Record<string, unknown>;
let snapshotFile: string;
let fromText: string[];

/** The shipped config's policy (sources made absolute) plus the generated list. */
async function shippedPolicy(cacheDir: string, bigList: string): Promise<Record<string, unknown>> {
  const shipped = parse(await readFile(path.join(ROOT, 'config/banwall.yaml'), 'utf8')) as {
    lists: { source: string; name: string }[];
    allow: { source?: string }[];
    groups: { name: string; lists: string[] }[];
    tests: string[];
    blocking: Record<string, unknown>;
  };
  const abs = (p: string) => path.resolve(ROOT, 'config', p);
  return {
    lists: [
      ...shipped.lists.map((l) => ({ ...l, source: abs(l.source) })),
      { name: 'bulk', app: 'bulk', category: 'core', source: bigList, unused: true },
    ],
    allow: shipped.allow.map((a) => (a.source ? { ...a, source: abs(a.source) } : a)),
    groups: shipped.groups.map((g) => (g.name === 'default' ? { ...g, lists: [...g.lists, 'bulk'] } : g)),
    tests: shipped.tests.map(abs),
    blocking: { ...shipped.blocking, cacheDir },
  };
}

/** rcode and answer count of every probe name, in order. */
async function decisions(bw: RunningBanwall): Promise<string[]> {
  const out: string[] = [];
  for (const name of probes) {
    const reply = await udpExchange(bw.dnsPort, queryPacket(name, 'A'));
    assert.ok(reply, `an answer for ${name}`);
    out.push(`${name} ${rcodeOf(reply)}/${ancountOf(reply)}`);
  }
  return out;
}

async function waitForFile(file: string, newerThan = 0): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const st = await stat(file).catch(() => null);
    if (st && st.mtimeMs > newerThan) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${file} not written`);
}

const fromSnapshot = (l: Record<string, unknown>) => l.msg === 'policy taken from the snapshot file';
const setAside = (l: Record<string, unknown>) => l.msg === 'policy snapshot not used; compiling the lists';

before(async () => {
  dir = await tempDir();
  const bigList = path.join(dir, 'bulk.txt');
  await writeFile(bigList, Array.from({ length: BIG }, (_, i) => bigName(i)).join('\n') + '\n');
  const zone = Object.fromEntries(probes.map((n) => [n, [{ type: 'A' as const, data: '192.0.2.7' }]]));
  up = await startFakeUpstream({ zone });
  snapshotFile = path.join(dir, 'cache', 'policy.snapshot');
  config = testConfig([up.url], await shippedPolicy(path.join(dir, 'cache'), bigList));
  const bw = await startBanwall(config, { dir, timeoutMs: 60_000 });
  try {
    assert.ok(!bw.logs.some(fromSnapshot), 'the first start compiles from text');
    fromText = await decisions(bw);
    await waitForFile(snapshotFile);
  } finally {
    await bw.stop();
  }
});

after(async () => {
  await up?.close();
});

void test('a restart takes the policy from the snapshot file and decides every name as from text', async () => {
  const bw = await startBanwall(config, { dir, timeoutMs: 60_000 });
  try {
    await bw.waitForLog(fromSnapshot);
    assert.deepEqual(await decisions(bw), fromText);
    // Sanity: the comparison is between real decisions, blocks and passes both.
    assert.ok(fromText.includes('weixin.qq.com 3/0'));
    assert.ok(fromText.includes(`${bigName(0)} 3/0`));
    assert.ok(fromText.some((d) => d.endsWith(' 0/1')));
  } finally {
    await bw.stop();
  }
});

for (const [what, damage, reason] of [
  [
    'a corrupt byte in the name table',
    async (f: string) => {
      const fh = await open(f, 'r+');
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, 5000);
      b[0] ^= 0xff;
      await fh.write(b, 0, 1, 5000);
      await fh.close();
    },
    /checksum/,
  ],
  [
    'an older format version',
    async (f: string) => {
      const fh = await open(f, 'r+');
      await fh.write(Buffer.from([0, 0, 0, 0]), 0, 4, 4);
      await fh.close();
    },
    /version 0/,
  ],
  ['a truncated file', async (f: string) => truncate(f, 100_000), /bytes where the header says/],
] as const) {
  void test(`${what}: the file is set aside, the lists compiled from text, the same decisions`, async () => {
    await damage(snapshotFile);
    const before = (await stat(snapshotFile)).mtimeMs;
    const bw = await startBanwall(config, { dir, timeoutMs: 60_000 });
    try {
      const line = await bw.waitForLog(setAside);
      assert.match(String(line.reason), reason);
      assert.ok(!bw.logs.some(fromSnapshot));
      assert.deepEqual(await decisions(bw), fromText);
      await waitForFile(snapshotFile, before); // written again, whole
    } finally {
      await bw.stop();
    }
  });
}

void test('a list edit reloads through the worker and swaps; a refused reload keeps the old policy', async () => {
  const bw = await startBanwall(config, { dir, timeoutMs: 60_000 });
  try {
    await bw.waitForLog(fromSnapshot);
    const bigList = path.join(dir, 'bulk.txt');
    const text = await readFile(bigList, 'utf8');
    await writeFile(bigList, `${text}reloaded.test\n`);
    await bw.waitForLog((l) => l.msg === 'policy recompiled', 30_000);
    const blocked = await udpExchange(bw.dnsPort, queryPacket('reloaded.test', 'A'));
    assert.equal(rcodeOf(blocked!), 3, 'the new name is blocked once the reload is in force');
    // A list cut to a tenth is refused by the reload guard: the policy in force keeps serving.
    await writeFile(bigList, text.slice(0, text.length / 10));
    await bw.waitForLog((l) => l.msg === 'recompile rejected; the previous policy keeps serving', 30_000);
    const still = await udpExchange(bw.dnsPort, queryPacket(bigName(BIG - 1), 'A'));
    assert.equal(rcodeOf(still!), 3, 'a name only the full list holds is still blocked');
    assert.equal(rcodeOf((await udpExchange(bw.dnsPort, queryPacket('reloaded.test', 'A')))!), 3);
  } finally {
    await bw.stop();
  }
});
