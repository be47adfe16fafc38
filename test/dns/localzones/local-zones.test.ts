// Issue 13: special-use names left the building (`localhost` was forwarded and got SERVFAIL; reverse
// lookups of private ranges went to public resolvers). Real dig against a real banwall: localhost
// and *.localhost answer 127.0.0.1 / ::1, the loopback reverse zones answer PTR localhost., the
// private, CGNAT, link-local and ULA reverse zones, home.arpa and invalid answer NXDOMAIN with their
// zone's SOA, and the upstream never sees any of them; a `dns.forward` zone or `localZones.forward`
// takes its names back, and `localZones: false` turns the link off. Then `getent hosts localhost`
// through banwall on port 53, in a namespace of its own with a resolv.conf naming it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { dig } from '../../helpers/dig.ts';
import { assertAnswers } from '../../helpers/dig-assert.ts';
import { CLI, startBanwall, testConfig, type RunningBanwall } from '../../helpers/banwall.ts';
import { banwallSuite } from '../../helpers/banwall-suite.ts';
import { startFakeUpstream, type FakeUpstream } from '../../helpers/fake-upstream/dns.ts';
import { hasTool, missingTools } from '../../helpers/tools.ts';

/** The system tools these tests run; absent ones make them skip, with the reason. */
const TOOLS_SKIP = missingTools('dig', 'kdig');

const suite = banwallSuite({ upstream: { zone: { 'example.test': [{ type: 'A', data: '192.0.2.1' }] } } });
/** An internal upstream for the forwarded zones, and the banwalls that forward to it. */
let internal: FakeUpstream;
const others: RunningBanwall[] = [];

before(async () => {
  internal = await startFakeUpstream({
    zone: {
      '5.1.168.192.in-addr.arpa': [{ type: 'NS', data: 'ns.corp.test' }],
      'printer.home.arpa': [{ type: 'A', data: '10.0.0.9' }],
    },
  });
});

after(async () => {
  for (const b of others) await b.stop();
  await internal?.close();
});

void test(
  'localhost and *.localhost answer loopback; other types NODATA with the zone SOA',
  { skip: TOOLS_SKIP },
  async () => {
    for (const name of ['localhost', 'LocalHost', 'app.localhost', 'a.b.localhost']) {
      assertAnswers(await dig(suite.bw.dnsPort, name, 'A'), ['127.0.0.1'], name);
      assertAnswers(await dig(suite.bw.dnsPort, name, 'AAAA'), ['::1'], name);
    }
    const mx = await dig(suite.bw.dnsPort, 'app.localhost', 'MX');
    assert.equal(mx.status, 'NOERROR');
    assert.equal(mx.answers.length, 0);
    assert.match(
      mx.raw,
      /AUTHORITY SECTION:\nlocalhost\.\s+10800\s+IN\s+SOA\s+localhost\. nobody\.invalid\./,
      mx.raw,
    );
  },
);

void test(
  'loopback reverse: PTR localhost.; private, CGNAT, link-local, ULA reverse, home.arpa, invalid: NXDOMAIN',
  { skip: TOOLS_SKIP },
  async () => {
    assertAnswers(await dig(suite.bw.dnsPort, '1.0.0.127.in-addr.arpa', 'PTR'), ['localhost.']);
    const v6 = await dig(suite.bw.dnsPort, '::1', 'PTR', ['-x', '::1']);
    // dig -x asks twice (the name `::1`, then the reverse name): only the answers are the reverse's.
    assert.deepEqual(
      v6.answers.map((r) => r.data),
      ['localhost.'],
      v6.raw,
    );
    const ent = await dig(suite.bw.dnsPort, '0.0.127.in-addr.arpa', 'PTR');
    assert.equal(ent.status, 'NOERROR', 'an empty non-terminal exists');
    const nx: [string, string][] = [
      ['2.0.0.127.in-addr.arpa', '127.in-addr.arpa'],
      ['1.2.3.10.in-addr.arpa', '10.in-addr.arpa'],
      ['5.1.20.172.in-addr.arpa', '20.172.in-addr.arpa'],
      ['5.1.168.192.in-addr.arpa', '168.192.in-addr.arpa'],
      ['1.0.64.100.in-addr.arpa', '64.100.in-addr.arpa'],
      ['9.9.127.100.in-addr.arpa', '127.100.in-addr.arpa'],
      ['1.1.254.169.in-addr.arpa', '254.169.in-addr.arpa'],
      ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa', 'd.f.ip6.arpa'],
      ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa', '8.e.f.ip6.arpa'],
      ['printer.home.arpa', 'home.arpa'],
      ['Printer.Home.Arpa', 'Home.Arpa'],
      ['anything.invalid', 'invalid'],
      ['hidden.onion', 'onion'],
    ];
    for (const [name, apex] of nx) {
      const r = await dig(
        suite.bw.dnsPort,
        name,
        name.includes('arpa') && !name.includes('home') ? 'PTR' : 'A',
      );
      assert.equal(r.status, 'NXDOMAIN', `${name}: ${r.raw}`);
      assert.match(
        r.raw,
        new RegExp(`AUTHORITY SECTION:\\n${apex.replace(/\./g, '\\.')}\\.\\s+10800\\s+IN\\s+SOA`),
        `${name}: ${r.raw}`,
      );
    }
    const apex = await dig(suite.bw.dnsPort, '10.in-addr.arpa', 'SOA');
    assert.equal(apex.status, 'NOERROR');
    assert.equal(apex.answers[0]?.type, 'SOA');
    const public6 = await dig(suite.bw.dnsPort, 'example.test', 'A');
    assert.equal(public6.status, 'NOERROR', 'other names are forwarded as before');
    assert.deepEqual(
      suite.up.queries.filter(
        (q) => q.name.endsWith('arpa') || q.name.includes('localhost') || q.name.endsWith('invalid'),
      ),
      [],
      'no special-use name reached the upstream',
    );
  },
);

void test(
  'a dns.forward zone or localZones.forward takes its names to the upstreams; false turns it off',
  { skip: TOOLS_SKIP },
  async () => {
    const fwd = await startBanwall(
      testConfig([suite.up.url], {
        dns: {
          forward: { '168.192.in-addr.arpa': [internal.url], 'home.arpa': [internal.url] },
          localZones: { forward: ['20.172.in-addr.arpa'] },
        },
      }),
    );
    others.push(fwd);
    const ns = await dig(fwd.dnsPort, '5.1.168.192.in-addr.arpa', 'NS');
    assertAnswers(ns, ['ns.corp.test.']);
    const home = await dig(fwd.dnsPort, 'printer.home.arpa', 'A');
    assertAnswers(home, ['10.0.0.9']);
    await dig(fwd.dnsPort, '5.1.20.172.in-addr.arpa', 'PTR');
    assert.ok(
      suite.up.queries.some((q) => q.name === '5.1.20.172.in-addr.arpa'),
      'localZones.forward: sent upstream',
    );
    const still = await dig(fwd.dnsPort, '1.2.3.10.in-addr.arpa', 'PTR');
    assert.equal(still.status, 'NXDOMAIN', 'zones not named stay local');
    const lh = await dig(fwd.dnsPort, 'localhost', 'A');
    assertAnswers(lh, ['127.0.0.1']);

    const offBw = await startBanwall(testConfig([suite.up.url], { dns: { localZones: false } }));
    others.push(offBw);
    await dig(offBw.dnsPort, 'off.localhost', 'A');
    assert.ok(
      suite.up.queries.some((q) => q.name === 'off.localhost'),
      'localZones: false forwards them',
    );
  },
);

void test(
  'getent hosts localhost through banwall on port 53 (own net and mount namespace)',
  { skip: TOOLS_SKIP },
  async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root: port 53, unshare and bind mounts');
    if (!hasTool('unshare') || !hasTool('getent') || !hasTool('ip'))
      return t.skip('needs unshare, ip, getent');
    if (spawnSync('unshare', ['--net', '--mount', 'true']).status !== 0)
      return t.skip('unshare not permitted here');
    const dir = await mkdtemp(path.join(tmpdir(), 'banwall-getent-'));
    // The upstream is a port nothing listens on: a name that were forwarded would fail.
    const cfg = testConfig(['udp://127.0.0.1:9'], { dns: { listen: ['127.0.0.1:53'], timeout: '1s' } });
    await writeFile(path.join(dir, 'banwall.yaml'), stringify(cfg));
    await writeFile(path.join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:2 attempts:1\n');
    // DNS only: /etc/hosts (and nss-myhostname) would answer localhost without asking banwall.
    await writeFile(path.join(dir, 'nsswitch.conf'), 'hosts: dns\n');
    const script = `
    set -e
    ip link set lo up
    mount --bind ${dir}/resolv.conf /etc/resolv.conf
    mount --bind ${dir}/nsswitch.conf /etc/nsswitch.conf
    ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} serve --config ${dir}/banwall.yaml > ${dir}/log 2>&1 &
    pid=$!
    for i in $(seq 1 100); do grep -q 'banwall started' ${dir}/log && break; sleep 0.1; done
    set +e
    echo "localhost: $(getent hosts localhost | tr -s ' ' | tr '\\n' ';')"
    echo "app: $(getent ahosts app.localhost | grep STREAM | tr -s ' ' | tr '\\n' ';')"
    getent hosts nothing.invalid; echo "invalid: $?"
    kill $pid; wait $pid
  `;
    const r = spawnSync('unshare', ['--net', '--mount', 'bash', '-c', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    // getent hosts asks for IPv6 first (one line); ahosts shows both families. (AI_ADDRCONFIG keeps
    // `ahostsv4` from asking at all in a namespace with only loopback.)
    assert.match(r.stdout, /^localhost: ::1 localhost;$/m, r.stdout);
    assert.match(r.stdout, /^app: ::1 STREAM app\.localhost;127\.0\.0\.1 STREAM ;$/m, r.stdout);
    assert.match(r.stdout, /^invalid: 2$/m, 'not found');
  },
);
