// The filter bits in the name table's bucket records (src/policy/match/name-index.ts) never change a
// decision: a property test over random lists (every rule form, allow sources, two groups) and
// random names and suffixes compares every decision and explanation with the filter in force against
// the same table with every filter bit set (the search as it was before the filter); every key in a
// table passes its filter (no false negative) and absent keys mostly do not; the flags kept beside
// each sorted entry id are the entry's own, also when a reload takes them back out; the table a reload
// builds in the worker thread holds the same index as one built on the main thread; and a policy
// snapshot file of the previous format is set aside and the lists compiled from text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { PolicyStore } from '../../src/policy/store.ts';
import {
  NameBuilder,
  NameTable,
  buildNameBlock,
  FLAG_BITS,
  FLAG_MASK,
  EXACT,
  SUBONLY,
  ALLOW,
} from '../../src/policy/match/name-table.ts';
import { RECORD_WORDS, bucketBits, mayHold } from '../../src/policy/match/name-index.ts';
import { SNAPSHOT_VERSION } from '../../src/policy/compiled/snapshot-file.ts';
import { SNAPSHOT_FILE } from '../../src/policy/snapshot-cache.ts';
import type { CompiledPolicy } from '../../src/policy/compiled/compiled-policy.ts';
import { loaded, policyConfig, storeFor, tempDir } from './policy-helpers.ts';

/** A seeded generator (xorshift32): a failure prints its seed and replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Names from few labels, so that lists, queries and their suffixes overlap a lot. */
function nameGen(r: () => number): () => string {
  const labels = ['a', 'b', 'cdn', 'www', 'x1', 'api', 'qq', 'weixin', 'img-2', 'z_z'];
  const tlds = ['com', 'cn', 'test', 'net'];
  return () => {
    const depth = 1 + Math.floor(r() * 4);
    const parts = Array.from({ length: depth }, () =>
      r() < 0.2 ? `n${Math.floor(r() * 5000)}` : labels[Math.floor(r() * labels.length)],
    );
    return [...parts, tlds[Math.floor(r() * tlds.length)]].join('.');
  };
}

/** Every decision and explanation of `names` for both groups' clients, as text. */
function decisions(p: CompiledPolicy, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const client of ['127.0.0.1', '10.9.0.1'])
    for (const n of names) {
      const m = p.matchName(n, client);
      const e = p.explain(n, client);
      const rules = [...e.blockRules, ...e.allowRules].map((r) => `${r.list}:${r.line}`).join(',');
      out.push(`${client} ${n} ${m ? `${m.rule.list}:${m.rule.line}:${m.rule.rule}` : '-'} ${rules}`);
    }
  return out;
}

/** The table's filter turned off: every filter bit set, so every bucket is searched as before. */
function withoutFilter(t: NameTable): () => void {
  const saved = t.index.slice();
  for (let d = 0; d < t.buckets; d++) t.index.fill(0xffffffff, d * RECORD_WORDS + 1, (d + 1) * RECORD_WORDS);
  return () => t.index.set(saved);
}

for (const seed of [1, 2, 3, 4]) {
  void test(`seed ${seed}: the filter changes no decision on random lists, names and suffixes`, async () => {
    const r = rng(seed * 7919);
    const gen = nameGen(r);
    const form = () => {
      const x = r();
      const n = gen();
      return x < 0.55 ? n : x < 0.7 ? `=${n}` : x < 0.85 ? `*.${n}` : `@@${n}`;
    };
    const text = (k: number) => Array.from({ length: k }, form).join('\n');
    const { store } = await storeFor(
      [
        { name: 'one', text: text(3000) },
        { name: 'two', text: text(1500) },
      ],
      {
        allow: [{ name: 'ok', entries: Array.from({ length: 50 }, gen) }],
        groups: [
          { name: 'default', lists: ['one', 'two'], allow: ['ok'] },
          { name: 'lab', clients: ['10.9.0.0/16'], lists: ['two'] },
        ],
      },
    );
    const p = store.current as CompiledPolicy;
    // Listed names, their subdomains and parents, and names never listed.
    const queries = Array.from({ length: 4000 }, () => {
      const n = gen();
      const x = r();
      return x < 0.3 ? `sub${Math.floor(r() * 9)}.${n}` : x < 0.4 ? `${n.toUpperCase()}.` : n;
    });
    const filtered = decisions(p, queries);
    const restore = withoutFilter(p.names);
    const unfiltered = decisions(p, queries);
    restore();
    assert.deepEqual(filtered, unfiltered, `seed ${seed}`);
    assert.ok(
      filtered.some((d) => !d.includes(' - ')),
      'some names are blocked',
    );
    assert.ok(
      filtered.some((d) => / - \S/.test(d)),
      'some are allowed by an exception that matched',
    );
    store.close();
  });
}

/** A table of `n` generated names, built on this thread. */
function tableOf(n: number, name: (i: number) => string): NameTable {
  const b = new NameBuilder();
  for (let i = 0; i < n; i++) {
    const s = name(i);
    b.add(s, 0, s.length, 0, i + 1);
  }
  return NameTable.build([b]);
}

/** (hi, lo) of sorted position p. */
function keyAt(t: NameTable, p: number): [number, number] {
  const hi = Math.floor(t.keys[p] / 4294967296);
  return [hi, t.keys[p] - hi * 4294967296];
}

void test('1 M names: every key passes its bucket filter; an absent key passes ~8 % of the time', () => {
  const t = tableOf(1_000_000, (i) => `ad${i}.t${i % 4999}.tracker${i % 97}.test`);
  assert.equal(t.buckets, 65_536);
  assert.equal(t.index[t.buckets * RECORD_WORDS], t.size);
  for (let p = 0; p < t.size; p++) {
    const [hi, lo] = keyAt(t, p);
    const r = (hi >>> t.shift) * RECORD_WORDS;
    assert.ok(t.index[r] <= p && p < t.index[r + RECORD_WORDS], `position ${p} in its bucket`);
    if (!mayHold(t.index, r, lo)) assert.fail(`key at ${p} ruled out by its own filter`);
  }
  const r = rng(99);
  let passed = 0;
  const tries = 200_000;
  for (let k = 0; k < tries; k++) {
    const hi = Math.floor(r() * 2 ** 21);
    const lo = Math.floor(r() * 2 ** 32);
    if (mayHold(t.index, (hi >>> t.shift) * RECORD_WORDS, lo)) passed++;
  }
  const rate = passed / tries;
  assert.ok(rate > 0.04 && rate < 0.11, `false-positive rate ${rate}`);
});

void test('each sorted entry carries its own flags, also in a table rebuilt from an earlier one', () => {
  const forms = [0, EXACT, SUBONLY, ALLOW, ALLOW | EXACT, ALLOW | SUBONLY];
  const b = new NameBuilder();
  for (let i = 0; i < 20_000; i++) {
    const s = `e${i}.f${i % 7}.test`;
    b.add(s, 0, s.length, forms[i % forms.length], i + 1);
  }
  const want = b.flags.slice(0, b.count);
  const first = NameTable.build([b]);
  assert.equal(b.flags.length, 0, 'the list keeps no flags of its own once the table holds them');
  // A reload that keeps this list takes its keys and flags back out of the table in force.
  const again = new NameTable(buildNameBlock([b.part()]));
  for (const t of [first, again]) {
    for (let p = 0; p < t.size; p++) {
      const e = t.ent[p] >>> FLAG_BITS;
      if ((t.ent[p] & FLAG_MASK) !== want[e])
        assert.fail(`entry ${e}: flags ${t.ent[p] & FLAG_MASK}, not ${want[e]}`);
    }
  }
  assert.deepEqual(again.keys, first.keys);
  assert.deepEqual(again.ent, first.ent);
  assert.deepEqual(again.index, first.index);
});

void test('the index grows with the table: 64 buckets for a small policy, 65,536 from 512 k names', () => {
  assert.equal(bucketBits(0), 6);
  assert.equal(bucketBits(512), 6);
  assert.equal(bucketBits(513), 7);
  assert.equal(bucketBits(150_000), 15);
  assert.equal(bucketBits(524_288), 16);
  assert.equal(bucketBits(5_000_000), 16);
  const small = tableOf(3, (i) => `s${i}.example`);
  assert.equal(small.buckets, 64);
  assert.equal(small.index.length, 65 * RECORD_WORDS);
});

void test('a reload built in the worker thread holds the same index as a build on this thread', async () => {
  const dir = await tempDir();
  const big = (extra: string) =>
    Array.from({ length: 60_000 }, (_, i) => `w${i}.bulk${i % 13}.test`).join('\n') + `\n${extra}\n`;
  const cfg = loaded(dir, await policyConfig(dir, [{ name: 'big', text: big('') }]));
  const store = new PolicyStore(pino({ level: 'silent' }), { watch: false, refresh: false });
  await store.load(cfg);
  await writeFile(path.join(dir, 'big.txt'), big('added.test'));
  await store.load(cfg); // a reload: 60,001 names, over the worker's 50,000
  const p = store.current as CompiledPolicy;
  assert.ok(p.matchName('x.added.test', '127.0.0.1'));
  const here = tableOf(60_001, (i) => (i < 60_000 ? `w${i}.bulk${i % 13}.test` : 'added.test'));
  assert.deepEqual(p.names.index, here.index);
  store.close();
});

void test(`a snapshot file of format ${SNAPSHOT_VERSION - 1} is set aside: the lists are compiled from text`, async () => {
  const dir = await tempDir();
  const text = Array.from({ length: 2000 }, (_, i) => `n${i}.old.test`).join('\n');
  const cfg = loaded(
    dir,
    await policyConfig(dir, [{ name: 'l', text: `${text}\n@@ok.n5.old.test\n=exact.test\n` }], {
      blocking: { cacheDir: 'cache' },
    }),
  );
  const names = [
    'n5.old.test',
    'ok.n5.old.test',
    'a.n7.old.test',
    'exact.test',
    'a.exact.test',
    'n5x.old.test',
  ];
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n'))
        if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const start = async () => {
    const s = new PolicyStore(pino({ level: 'info' }, sink), { watch: false, refresh: false });
    await s.load(cfg);
    await s.snapshotWritten();
    return s;
  };
  const first = await start();
  const before = decisions(first.current as CompiledPolicy, names);
  first.close();
  const file = path.join(dir, 'cache', SNAPSHOT_FILE);
  // The file a banwall of the previous format left behind: same layout otherwise, older version.
  const fh = await open(file, 'r+');
  const v = Buffer.alloc(4);
  v.writeUInt32LE(SNAPSHOT_VERSION - 1);
  await fh.write(v, 0, 4, 4);
  await fh.close();
  lines.length = 0;
  const second = await start();
  const aside = lines.find((l) => l.msg === 'policy snapshot not used; compiling the lists');
  assert.match(String(aside?.reason), new RegExp(`version ${SNAPSHOT_VERSION - 1}, not ${SNAPSHOT_VERSION}`));
  assert.ok(!lines.some((l) => l.msg === 'policy taken from the snapshot file'));
  assert.deepEqual(decisions(second.current as CompiledPolicy, names), before);
  second.close();
  // Written again in the current format: the next start takes it.
  lines.length = 0;
  const third = await start();
  assert.ok(lines.some((l) => l.msg === 'policy taken from the snapshot file'));
  assert.deepEqual(decisions(third.current as CompiledPolicy, names), before);
  third.close();
});
