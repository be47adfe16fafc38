// The command line as a new operator meets it: the Node version checked first, usage on no command,
// one help page per command, unknown commands and options refused with exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ROOT } from '../helpers/banwall.ts';
import { runCli as cli } from '../helpers/cli.ts';

const CONFIG = path.join(ROOT, 'config/banwall.yaml');

const OLD_NODE = '/usr/bin/node';
const oldNodeVersion = spawnSync(OLD_NODE, ['-p', 'process.versions.node'], {
  encoding: 'utf8',
}).stdout?.trim();
const oldNodeMissing =
  !oldNodeVersion || Number(oldNodeVersion.split('.')[0]) >= 22
    ? `no Node older than 22 at ${OLD_NODE}`
    : false;

void test(
  'an old Node is told which Node banwall needs, not shown a SyntaxError',
  { skip: oldNodeMissing },
  async () => {
    for (const args of [['check'], ['serve'], []]) {
      const r = await cli(args, { node: OLD_NODE });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^banwall needs Node ≥ 22\.19\.0; this is Node 20\./);
      assert.doesNotMatch(r.stderr, /SyntaxError|enableCompileCache/);
    }
  },
);

void test('the minimum in bin/banwall.js is the one package.json engines names', () => {
  const engines = (
    JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
  ).engines.node;
  const bin = readFileSync(CLI, 'utf8');
  const min = /var MIN = \[(\d+), (\d+), (\d+)\]/.exec(bin);
  assert.ok(min);
  assert.equal(engines, `>=${min[1]}.${min[2]}`);
});

void test('no command: usage on stderr, exit 2, nothing started', async () => {
  const r = await cli([]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^banwall: a command is required\n/);
  for (const c of ['serve', 'check', 'explain', 'reload', 'export'])
    assert.match(r.stderr, new RegExp(`\\n  ${c} `));
});

void test('help, --help and --version go to stdout with exit 0', async () => {
  const global = await cli(['--help']);
  assert.equal(global.code, 0);
  assert.match(global.stdout, /Usage: banwall COMMAND \[options\]/);
  assert.deepEqual(await cli(['help']), global);
  const v = await cli(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
});

void test('each command has its own help: banwall help CMD and banwall CMD --help', async () => {
  const pages = new Set<string>();
  const expect: Record<string, RegExp> = {
    serve: /--pid-file FILE[\s\S]*--exit-with-parent[\s\S]*SIGHUP reloads/,
    check: /Usage: banwall check \[--no-strict\] \[--config FILE\]/,
    explain: /--client IP[\s\S]*--type TYPE[\s\S]*--resolve[\s\S]*--json/,
    reload: /POST \/api\/reload/,
    export: /--format FORMAT[\s\S]*--resolver IP/,
  };
  for (const [c, re] of Object.entries(expect)) {
    const a = await cli(['help', c]);
    const b = await cli([c, '--help']);
    const h = await cli([c, '-h']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, new RegExp(`^Usage: banwall ${c}`));
    assert.match(a.stdout, re);
    assert.equal(b.stdout, a.stdout);
    assert.equal(h.stdout, a.stdout);
    pages.add(a.stdout);
  }
  assert.equal(pages.size, 5, 'five different pages');
});

void test('unknown commands, unknown options and wrong argument counts: a clear message and exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['frobnicate'],
      /^banwall: unknown command "frobnicate" \(commands: serve, check, explain, reload, export, events, audit\)/,
    ],
    [['help', 'frobnicate'], /^banwall: unknown command "frobnicate"/],
    [['serve', '--frob'], /^banwall serve: unknown option '--frob'\nusage: banwall serve /],
    [['check', '--client', '10.0.0.1'], /^banwall check: unknown option '--client'/],
    [['explain', 'x.example', '--format', 'nftables'], /^banwall explain: unknown option '--format'/],
    [['reload', '--json'], /^banwall reload: unknown option '--json'/],
    [['export', 'firewall', '--bogus'], /^banwall export: unknown option '--bogus'/],
    [['explain'], /^banwall explain: missing a name, URL or IP address to explain/],
    [['explain', 'a.example', 'b.example'], /^banwall explain: unexpected argument "b.example"/],
    [['check', 'extra'], /^banwall check: unexpected argument "extra"/],
    [['export'], /^banwall export: missing what to export: firewall/],
    [['explain', 'a.example', '--client'], /^banwall explain: option '--client <value>' argument missing/],
    [['--frob', 'check'], /^banwall check: unknown option '--frob'/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '', args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
  }
});

void test('every existing command line keeps working, --config before the command included', async () => {
  for (const args of [
    ['check', '--config', CONFIG],
    ['check', '-c', CONFIG],
    ['--config', CONFIG, 'check'],
    ['explain', 'weixin.qq.com', '--client', '10.0.0.5', '--type', 'AAAA', '--config', CONFIG],
    ['export', 'firewall', '--format', 'iptables', '--resolver', '192.0.2.53', '--config', CONFIG],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
});
