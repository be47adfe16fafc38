// dnstap over Frame Streams into Debian's fstrm_capture, read back with dnstap-ldns: the names, the
// client addresses, the message types and the block decision arrive as a dnstap reader sees them.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DnstapSink } from '../../../src/dns/dnstap/dnstap-sink.ts';
import { DnstapType } from '../../../src/dns/dnstap/schema.ts';
import { hasTool } from '../../helpers/tools.ts';
import { blockEvent } from '../../helpers/events.ts';

const event = blockEvent;

async function waitFor(cond: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

void test('dnstap CLIENT_QUERY/CLIENT_RESPONSE reach fstrm_capture and read back with dnstap-ldns', async (t) => {
  if (!hasTool('fstrm_capture')) return t.skip('fstrm_capture not installed (Debian package fstrm-bin)');
  if (!hasTool('dnstap-ldns')) return t.skip('dnstap-ldns not installed (Debian package dnstap-ldns)');
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-dnstap-'));
  const sock = path.join(dir, 'dnstap.sock');
  const out = path.join(dir, 'capture.fstrm');
  const capture = spawn('fstrm_capture', ['-t', 'protobuf:dnstap.Dnstap', '-u', sock, '-w', out], {
    stdio: 'ignore',
  });
  t.after(() => capture.kill('SIGKILL'));
  // The sink connects before the collector is up and must reconnect by itself.
  const sink = new DnstapSink({ target: { path: sock }, maxBuffered: 1 << 20, identity: 'banwall-test' });
  await waitFor(() => sink.connected, 10_000);
  sink.offer(event({}));
  sink.offer(
    event({
      client: '::1',
      target: 'kaspersky.com',
      kind: 'AAAA',
      protocol: 'tcp',
      app: 'kaspersky',
      rule: 'kaspersky.com',
    }),
  );
  sink.offer(event({ layer: 'proxy', target: 'dldir1.qq.com/weixin/x.exe' })); // not a DNS message
  await sink.close();
  capture.kill('SIGTERM');
  await new Promise((r) => capture.once('exit', r));
  assert.ok((await stat(out)).size > 0);
  const yaml = spawnSync('dnstap-ldns', ['-y', '-r', out], { encoding: 'utf8' }).stdout;
  const quiet = spawnSync('dnstap-ldns', ['-q', '-r', out], { encoding: 'utf8' }).stdout.trim().split('\n');
  assert.equal(quiet.length, 4, quiet.join('\n'));
  assert.match(quiet[0], /CQ 127\.0\.0\.2 UDP .*"weixin\.qq\.com\." IN A/);
  assert.match(quiet[1], /CR 127\.0\.0\.2 UDP .*"weixin\.qq\.com\." IN A/);
  assert.match(quiet[2], /CQ ::1 TCP .*"kaspersky\.com\." IN AAAA/);
  assert.match(yaml, /identity: "banwall-test"/);
  assert.match(yaml, /rcode: NXDOMAIN/);
  // dnstap-ldns prints neither `extra` nor `policy`: decode the captured frames for those.
  const frames = dataFrames(await readFile(out)).map((f) =>
    DnstapType.toObject(DnstapType.decode(f), { bytes: String, enums: String }),
  );
  assert.equal(frames.length, 4);
  const response = frames[1] as { extra: string; message: { policy: { rule: string; action: string } } };
  assert.equal(JSON.parse(Buffer.from(response.extra, 'base64').toString()).list, 'wechat-core');
  assert.equal(response.message.policy.action, 'NXDOMAIN');
  assert.equal(Buffer.from(response.message.policy.rule, 'base64').toString(), 'weixin.qq.com');
});

/** The data frames of a Frame Streams file (control frames, marked by a zero length, skipped). */
function dataFrames(file: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos + 4 <= file.length;) {
    const len = file.readUInt32BE(pos);
    if (len === 0) {
      pos += 8 + file.readUInt32BE(pos + 4);
      continue;
    }
    out.push(file.subarray(pos + 4, pos + 4 + len));
    pos += 4 + len;
  }
  return out;
}
