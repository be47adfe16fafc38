// `banwall explain` and GET /api/explain (with real curl) take the same inputs and refuse the same
// ones, give the same JSON, and --resolve / resolve=1 judge the live answer (CNAME targets and
// addresses) as the resolver does: checked against what dig gets from the same running banwall.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startBanwall, testConfig, type RunningBanwall } from '../helpers/banwall.ts';
import { runCli as cli } from '../helpers/cli.ts';
import { onCleanup, type Cleanup } from '../helpers/cleanup.ts';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream/dns.ts';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';

import { missingTools } from '../helpers/tools.ts';
/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('dig', 'kdig');

const run = promisify(execFile);

/** GET /api/explain with curl, every parameter URL-encoded by curl itself. */
async function curl(port: number, params: Record<string, string>, headers: string[] = []) {
  const args = ['-sS', '-G', '-o', '-', '-w', '\n%{http_code}', `http://127.0.0.1:${port}/api/explain`];
  for (const [k, v] of Object.entries(params)) args.push('--data-urlencode', `${k}=${v}`);
  for (const h of headers) args.push('-H', h);
  const { stdout } = await run('curl', args, { timeout: 20_000 });
  const nl = stdout.lastIndexOf('\n');
  return {
    status: Number(stdout.slice(nl + 1)),
    body: JSON.parse(stdout.slice(0, nl)) as Record<string, unknown>,
  };
}

interface Live {
  decision: string;
  asked: boolean;
  rcode?: string;
  targets: { value: string; decision: string; rule?: { list: string; rule: string } }[];
  addresses: { value: string; decision: string; rule?: { list: string; rule: string } }[];
  decidingRule?: { list: string; rule: string };
  answer?: string;
}

interface Explained {
  readonly up: FakeUpstream;
  readonly bw: RunningBanwall;
  close(): Promise<void>;
}

/** banwall with one list in front of a fake upstream; `cleanup` (a test's context) closes both. */
async function setup(extra: Record<string, unknown> = {}, cleanup?: Cleanup): Promise<Explained> {
  const up = await startFakeUpstream({
    zone: {
      'fine.test': [{ type: 'A', data: '192.0.2.10' }],
      'cloak.test': [{ type: 'CNAME', data: 'edge.blocked.test' }],
      'edge.blocked.test': [{ type: 'A', data: '192.0.2.11' }],
      'byip.test': [{ type: 'A', data: '198.51.100.7' }],
    },
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-explain-'));
  await writeFile(path.join(dir, 'list.txt'), 'blocked.test\nip 198.51.100.0/24\n');
  const bw = await startBanwall(
    testConfig([up.url], {
      lists: [{ name: 'test-list', app: 'wechat', category: 'core', source: 'list.txt' }],
      ...extra,
    }),
    { dir },
  );
  const close = async () => {
    await bw.stop();
    await up.close();
    await rm(dir, { recursive: true, force: true });
  };
  if (cleanup) onCleanup(cleanup, close);
  return { up, bw, close };
}

void describe(
  'explain: input, --json and --resolve in the CLI and the API',
  { skip: TOOLS_SKIP || NO_DIG_KDIG },
  () => {
    let explained: Explained;
    let up: FakeUpstream;
    let bw: RunningBanwall;
    let http: number;
    before(async () => {
      ({ up, bw } = explained = await setup());
      http = bw.httpPort!;
    });
    after(() => explained?.close());

    void it(
      'refuses what is not a name, URL or address, a client that is not an IP, an unknown type',
      { skip: TOOLS_SKIP },
      async () => {
        // Each bad input as the CLI takes it (`args`) and as the API does (`params`), and the error.
        const bad: { args: string[]; params: Record<string, string>; error: RegExp }[] = [
          {
            args: ['fine.test', '--client', 'notanip'],
            params: { name: 'fine.test', client: 'notanip' },
            error: /client "notanip" is not an IP address/,
          },
          {
            args: ['fine.test', '--type', 'FOO'],
            params: { name: 'fine.test', type: 'FOO' },
            error: /type "FOO" is not a query type/,
          },
          {
            args: ['not a name!'],
            params: { name: 'not a name!' },
            error: /"not a name!" is not a domain name, an http\(s\) URL or an IP address/,
          },
          {
            args: ['ftp://fine.test/x'],
            params: { name: 'ftp://fine.test/x' },
            error: /only http and https URLs/,
          },
          { args: ['a..test'], params: { name: 'a..test' }, error: /is not a domain name/ },
          {
            args: [`${'a'.repeat(64)}.test`],
            params: { name: `${'a'.repeat(64)}.test` },
            error: /is not a domain name/,
          },
          {
            args: ['fine.test', '--type', 'TYPE70000'],
            params: { name: 'fine.test', type: 'TYPE70000' },
            error: /is not a query type/,
          },
        ];
        for (const { args, params, error } of bad) {
          const r = await cli(['explain', ...args, '--config', bw.configFile]);
          assert.equal(r.code, 2, args.join(' '));
          assert.match(r.stderr, error);
          const a = await curl(http, params);
          assert.equal(a.status, 400, JSON.stringify(params));
          assert.match(String(a.body.error), error);
        }
      },
    );

    void it(
      'accepts the same names, URLs and addresses in both, with the same JSON',
      { skip: TOOLS_SKIP },
      async () => {
        const good: [string, Record<string, string>][] = [
          ['x.blocked.test', {}],
          ['X.Blocked.Test.', {}],
          ['http://x.blocked.test/some/path?q=1', {}],
          ['https://fine.test/', {}],
          ['198.51.100.7', {}],
          ['2001:db8::1', {}],
          ['_dmarc.fine.test', { type: 'TXT' }],
          ['bücher.test', { type: 'TYPE28' }],
          ['fine.test', { client: '::1', type: 'https' }],
        ];
        for (const [name, opts] of good) {
          const args = ['explain', name, '--json', '--config', bw.configFile];
          if (opts.client) args.push('--client', opts.client);
          if (opts.type) args.push('--type', opts.type);
          const r = await cli(args);
          assert.equal(r.code, 0, `${name}: ${r.stderr}`);
          const a = await curl(http, { name, ...opts });
          assert.equal(a.status, 200, `${name}: ${JSON.stringify(a.body)}`);
          assert.deepEqual(JSON.parse(r.stdout), a.body, name);
        }
        const url = await curl(http, { name: 'http://x.blocked.test/p' });
        assert.equal(url.body.decision, 'blocked');
        assert.deepEqual(url.body.url, { blocked: true, rule: (url.body.url as { rule: unknown }).rule });
        const idn = await curl(http, { name: 'bücher.test', type: 'TYPE28' });
        assert.equal(idn.body.name, 'xn--bcher-kva.test');
        assert.equal(idn.body.type, 'AAAA');
        const ip = await curl(http, { name: '198.51.100.7' });
        assert.equal(ip.body.decision, 'blocked');
      },
    );

    void it(
      '--resolve judges CNAME targets and addresses as the resolver does (dig agrees)',
      { skip: TOOLS_SKIP },
      async () => {
        const live = async (name: string): Promise<Live> => {
          const r = await cli(['explain', name, '--resolve', '--json', '--config', bw.configFile]);
          assert.equal(r.code, 0, r.stderr);
          const body = JSON.parse(r.stdout) as { decision: string; live: Live };
          const api = await curl(http, { name, resolve: '1' });
          assert.equal(api.status, 200);
          assert.deepEqual(api.body.live, body.live, `${name}: the API and the CLI judge alike`);
          return body.live;
        };

        const cloak = await live('cloak.test');
        assert.equal(cloak.decision, 'blocked');
        assert.equal(cloak.asked, true);
        assert.deepEqual(
          cloak.targets.map((t) => [t.value, t.decision, t.rule?.list]),
          [['edge.blocked.test', 'blocked', 'test-list']],
        );
        assert.equal(cloak.answer, 'NXDOMAIN with SOA');
        assert.equal((await dig(bw.dnsPort, 'cloak.test')).status, 'NXDOMAIN');

        const byIp = await live('byip.test');
        assert.equal(byIp.decision, 'blocked');
        assert.deepEqual(
          byIp.addresses.map((a) => [a.value, a.decision, a.rule?.rule]),
          [['198.51.100.7', 'blocked', 'ip 198.51.100.0/24']],
        );
        assert.equal((await dig(bw.dnsPort, 'byip.test')).status, 'NXDOMAIN');

        const fine = await live('fine.test');
        assert.equal(fine.decision, 'allowed');
        assert.equal(fine.rcode, 'NOERROR');
        assert.deepEqual(fine.addresses, [{ value: '192.0.2.10', decision: 'allowed' }]);
        assert.equal((await dig(bw.dnsPort, 'fine.test')).status, 'NOERROR');

        const own = await live('edge.blocked.test');
        assert.equal(own.decision, 'blocked');
        assert.equal(own.asked, false, 'a blocked name never leaves banwall');

        // Special-use names are answered by banwall itself (dns.localZones), never sent upstream.
        const localhost = await live('localhost');
        assert.equal(localhost.asked, false);
        assert.deepEqual(localhost.addresses, [{ value: '127.0.0.1', decision: 'allowed' }]);
        const ptr = await live('5.1.168.192.in-addr.arpa');
        assert.equal(ptr.asked, false);
        assert.equal(ptr.rcode, 'NXDOMAIN');
        assert.ok(
          up.queries.some((q) => q.name.toLowerCase() === 'fine.test'),
          'names are recorded like this',
        );
        const local = ['localhost', '5.1.168.192.in-addr.arpa'];
        assert.ok(
          !up.queries.some((q) => local.includes(q.name.toLowerCase())),
          'the upstream saw none of them',
        );

        const missing = await live('nothing.test');
        assert.equal(missing.decision, 'allowed');
        assert.equal(missing.rcode, 'NXDOMAIN');

        // Without --resolve the name alone is judged: the CNAME cloaking is invisible.
        const plain = await cli(['explain', 'cloak.test', '--config', bw.configFile]);
        assert.match(plain.stdout, /cloak\.test A from 127\.0\.0\.1 \(group default\): ALLOWED/);
        const text = await cli(['explain', 'cloak.test', '--resolve', '--config', bw.configFile]);
        assert.match(
          text.stdout,
          /live answer: BLOCKED \(upstream NOERROR\)\n {4}CNAME edge\.blocked\.test: blocked by blocked\.test/,
        );
        assert.match(text.stdout, /the client gets: NXDOMAIN with SOA/);

        for (const name of ['198.51.100.7', 'http://198.51.100.7/x']) {
          const ip = await live(name);
          assert.equal(ip.decision, 'not-asked', name);
          assert.equal(ip.asked, false);
        }

        const bad = await curl(http, { name: 'fine.test', resolve: 'maybe' });
        assert.equal(bad.status, 400);
      },
    );
  },
);

void it(
  '/api/explain?resolve=1 through a dns.workers primary: a worker follows the live answer',
  { skip: TOOLS_SKIP },
  async (t) => {
    const { bw } = await setup({ dns: { workers: 2 } }, t);
    // The primary's http.listen (the first 'banwall started' line is a worker's internal listener).
    const started = await bw.waitForLog((l) => l.msg === 'banwall cluster started', 60_000);
    const port = (started.http as { port: number }[])[0].port;
    const cloak = await curl(port, { name: 'cloak.test', resolve: '1' });
    assert.equal(cloak.status, 200, JSON.stringify(cloak.body));
    assert.equal(cloak.body.decision, 'allowed', 'the name alone');
    assert.equal((cloak.body.live as Live).decision, 'blocked', 'its live answer');
  },
);
