// The policy's cross-references are part of the config schema: each problem with its key path,
// reported with the other config errors before any list is read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../src/config/load.ts';
import { stringify } from 'yaml';

const problems = (cfg: Record<string, unknown>): readonly string[] => {
  try {
    parseConfig(stringify({ dns: { upstreams: ['udp://127.0.0.1:5300'] }, ...cfg }), 'x.yaml');
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
};

const list = (name: string) => ({ name, app: 'wechat', category: 'core', source: `${name}.txt` });

void test('cross-references of lists, allow entries and groups, with key paths', () => {
  assert.deepEqual(
    problems({
      lists: [list('a'), list('a'), list('w')],
      allow: [
        { name: 'w', entries: ['x.example'] },
        { name: 'both', source: 'f.txt', entries: [] },
      ],
      groups: [
        { name: 'default', lists: ['a', 'nope'], allow: ['gone'] },
        { name: 'default', lists: [] },
        { name: 'lab', lists: ['a'] },
      ],
    }),
    [
      'lists[1].name: "a" is already the name of lists[0]',
      'allow[0].name: "w" is already the name of lists[2]',
      'allow[1]: give `source` or `entries`, not both',
      'groups[0].lists[1]: unknown list "nope"',
      'groups[0].allow[0]: unknown allow entry "gone"',
      'groups[1].name: duplicate group "default"',
      'groups[2].clients: a group other than "default" needs client ranges',
    ],
  );
});

void test('maxShrink and unused: defaults and bounds', () => {
  const cfg = parseConfig(
    stringify({ dns: { upstreams: ['udp://127.0.0.1:5300'] }, lists: [list('a')] }),
    'x.yaml',
  );
  assert.equal(cfg.blocking.maxShrink, 0.5);
  assert.equal(cfg.lists[0].unused, false);
  assert.equal(cfg.lists[0].maxShrink, undefined);
  assert.match(
    problems({ lists: [{ ...list('a'), maxShrink: 1.5 }], blocking: { maxShrink: -1 } }).join('\n'),
    /lists\[0\]\.maxShrink: .*\n.*blocking\.maxShrink/,
  );
});
