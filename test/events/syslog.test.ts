// Syslog into a real rsyslogd on loopback over UDP, TCP and TLS: each event arrives as one RFC 5424
// message whose MSG is the event's JSON, intact.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { SyslogSink } from '../../src/events/syslog/syslog-sink.ts';
import { formatRfc5424 } from '../../src/events/syslog/rfc5424.ts';
import type { PolicyEvent } from '../../src/events/event.ts';
import { hasTool } from '../helpers/tools.ts';
import { selfSigned } from '../helpers/certs.ts';
import { blockEvent } from '../helpers/events.ts';

function event(over: Partial<PolicyEvent> = {}): PolicyEvent {
  return blockEvent({
    client: '127.0.0.3',
    identity: 'alice',
    layer: 'proxy',
    protocol: 'http',
    target: 'dldir1.qq.com/weixin/Windows/WeChatSetup.exe',
    kind: 'GET',
    category: 'download',
    list: 'wechat-download',
    rule: 'url dldir1.qq.com/weixin/',
    source: 'blocklists/wechat/download.txt:9',
    answer: '403',
    durationMs: 1.5,
    ...over,
  });
}

async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const port = s.address().port;
    s.close();
    return port;
  }
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

void test('RFC 5424 framing: PRI from facility and decision, header fields, JSON message', () => {
  const line = formatRfc5424(event({ time: Date.UTC(2026, 0, 2, 3, 4, 5, 6) }), {
    facility: 'local0',
    hostname: 'gw 1',
    appName: 'banwall',
    procId: 42,
  });
  assert.equal(
    line.slice(0, line.indexOf(' - ') + 3),
    '<133>1 2026-01-02T03:04:05.006Z gw1 banwall 42 blocked - ',
  );
  assert.equal(JSON.parse(line.slice(line.indexOf(' - ') + 3)).identity, 'alice');
});

void test('events reach a real rsyslogd over UDP, TCP and TLS with the JSON intact', async (t) => {
  if (!hasTool('rsyslogd')) return t.skip('rsyslogd not installed (Debian package rsyslog)');
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-syslog-'));
  const cert = await selfSigned(['syslog.test', '127.0.0.1']);
  const [udpPort, tcpPort, tlsPort] = [await freePort('udp'), await freePort('tcp'), await freePort('tcp')];
  const out = path.join(dir, 'messages.log');
  await writeFile(
    path.join(dir, 'rsyslog.conf'),
    `global(workDirectory="${dir}" defaultNetstreamDriverCAFile="${cert.certFile}"
       defaultNetstreamDriverCertFile="${cert.certFile}" defaultNetstreamDriverKeyFile="${cert.keyFile}")
module(load="imudp")
module(load="imtcp" maxSessions="10")
input(type="imudp" address="127.0.0.1" port="${udpPort}")
input(type="imtcp" address="127.0.0.1" port="${tcpPort}")
input(type="imtcp" address="127.0.0.1" port="${tlsPort}" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
template(name="msgonly" type="string" string="%syslogfacility-text% %syslogseverity-text% %msgid% %msg%\\n")
*.* action(type="omfile" file="${out}" template="msgonly")
`,
  );
  const rsyslog = spawn(
    'rsyslogd',
    ['-n', '-f', path.join(dir, 'rsyslog.conf'), '-i', path.join(dir, 'pid')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  rsyslog.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  t.after(() => rsyslog.kill('SIGKILL'));
  for (let i = 0; i < 100 && !((await portOpen(tcpPort)) && (await portOpen(tlsPort))); i++) await sleep(50);

  const sinks = [
    new SyslogSink({ url: `udp://127.0.0.1:${udpPort}`, facility: 'local0', maxBuffered: 1 << 20 }),
    new SyslogSink({ url: `tcp://127.0.0.1:${tcpPort}`, facility: 'local1', maxBuffered: 1 << 20 }),
    new SyslogSink({
      url: `tls://127.0.0.1:${tlsPort}`,
      facility: 'auth',
      ca: cert.certFile,
      servername: 'syslog.test',
      maxBuffered: 1 << 20,
    }),
  ];
  sinks.forEach((s, i) => s.offer(event({ target: `t${i}.example/a "quoted", path\nwith a line break` })));
  const expected = 3;
  let lines: string[] = [];
  for (let i = 0; i < 100; i++) {
    lines = (await readFile(out, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    if (lines.length >= expected) break;
    await sleep(50);
  }
  await Promise.all(sinks.map((s) => s.close()));
  assert.equal(lines.length, expected, `rsyslog wrote:\n${lines.join('\n')}\n${stderr}`);
  const byTarget = new Map(
    lines.map((l) => {
      const [facility, severity, msgid] = l.split(' ', 3);
      const json = JSON.parse(l.slice(l.indexOf('{'))) as PolicyEvent;
      return [json.target.slice(0, 2), { facility, severity, msgid, json }];
    }),
  );
  assert.equal(byTarget.get('t0')?.facility, 'local0');
  assert.equal(byTarget.get('t1')?.facility, 'local1');
  assert.equal(byTarget.get('t2')?.facility, 'auth', 'the TLS message arrived');
  for (const v of byTarget.values()) {
    assert.equal(v.severity, 'notice');
    assert.equal(v.msgid, 'blocked');
    assert.equal(v.json.rule, 'url dldir1.qq.com/weixin/');
    assert.match(v.json.target, /"quoted", path\nwith a line break$/);
  }
  assert.deepEqual(
    sinks.map((s) => s.dropped),
    [0, 0, 0],
  );
});
