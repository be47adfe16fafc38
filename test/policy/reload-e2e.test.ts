// Reloads of a running banwall: SIGHUP with a broken list keeps the old policy (and says why); a list
// file edit is picked up without a signal; a config edit adding a list applies; and a stream of
// queries during repeated reloads loses none and gets no wrong answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { dig, NO_DIG_KDIG } from '../helpers/dig.ts';
import { banwallSuite } from '../helpers/banwall-suite.ts';
import { queryPacket } from '../helpers/dns-query.ts';
import { tempDir } from './policy-helpers.ts';

/** As banwall's own listener: a stalled test process must not drop the answers it measures (the
 * 208 KiB default held ~1 s of this stream and CI lost 64 of 15,160 on a loaded machine). */
const STREAM_RCVBUF = 4 << 20;

let dir: string;

const list = (name: string, source: string) => ({ name, app: 'wechat', category: 'core', source });

const suite = banwallSuite(async () => {
  dir = await tempDir();
  await writeFile(path.join(dir, 'wechat.txt'), 'weixin.qq.com\n');
  return {
    upstream: {
      zone: {
        'ok.test': [{ type: 'A', data: '192.0.2.1', ttl: 300 }],
        'later.test': [{ type: 'A', data: '192.0.2.2', ttl: 300 }],
        'edited.test': [{ type: 'A', data: '192.0.2.3', ttl: 300 }],
      },
    },
    config: { lists: [list('wechat', 'wechat.txt')] },
    start: { dir },
  };
});

const status = async (name: string) => (await dig(suite.bw.dnsPort, name, 'A')).status;

void test(
  'SIGHUP with a missing list file keeps the old policy and logs why',
  { skip: NO_DIG_KDIG },
  async () => {
    assert.equal(await status('weixin.qq.com'), 'NXDOMAIN');
    await rm(path.join(dir, 'wechat.txt'));
    const line = await suite.bw.sighup();
    assert.match(String(line.msg), /rejected/);
    assert.match(JSON.stringify(line), /lists\[0\]\.source: cannot read/);
    assert.equal(await status('weixin.qq.com'), 'NXDOMAIN', 'the old policy keeps serving');
    assert.equal(await status('ok.test'), 'NOERROR');
    await writeFile(path.join(dir, 'wechat.txt'), 'weixin.qq.com\n');
  },
);

void test('editing a list file recompiles the policy without a signal', { skip: NO_DIG_KDIG }, async () => {
  assert.equal(await status('edited.test'), 'NOERROR');
  await writeFile(path.join(dir, 'wechat.txt'), 'weixin.qq.com\nedited.test\n');
  const end = Date.now() + 8000;
  while ((await status('edited.test')) !== 'NXDOMAIN') {
    assert.ok(Date.now() < end, 'the edit was not picked up');
    await new Promise((r) => setTimeout(r, 100));
  }
});

void test(
  'a config edit adding a list applies; reloads under a query stream lose no query',
  { skip: NO_DIG_KDIG },
  async () => {
    const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: STREAM_RCVBUF });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const pending = new Map<number, string>();
    let wrong = 0;
    let answered = 0;
    sock.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const name = pending.get(id);
      if (name === undefined) return;
      pending.delete(id);
      answered++;
      const rcode = msg[3] & 0xf;
      // ok.test is never blocked; weixin.qq.com always is, whatever the generation.
      if ((name === 'ok.test' && rcode !== 0) || (name === 'weixin.qq.com' && rcode !== 3)) wrong++;
    });
    let id = 1;
    let sent = 0;
    const stream = setInterval(() => {
      for (let k = 0; k < 20; k++) {
        const name = k % 2 ? 'ok.test' : 'weixin.qq.com';
        pending.set(id, name);
        sock.send(queryPacket(name, 'A', { id }), suite.bw.dnsPort, '127.0.0.1');
        id = (id % 65000) + 1;
        sent++;
      }
    }, 10);
    try {
      await writeFile(path.join(dir, 'later.txt'), 'later.test\n');
      for (let i = 0; i < 5; i++) {
        const lists = [list('wechat', 'wechat.txt'), ...(i % 2 === 0 ? [list('later', 'later.txt')] : [])];
        await writeFile(suite.bw.configFile, stringify({ ...suite.config, lists }));
        const want = i % 2 === 0 ? 'NXDOMAIN' : 'NOERROR';
        const end = Date.now() + 8000;
        while ((await status('later.test')) !== want) {
          assert.ok(Date.now() < end, `reload ${i} not applied`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } catch (err) {
      sock.close(); // an open socket would keep this file's process alive after the failure
      throw err;
    } finally {
      clearInterval(stream);
    }
    const deadline = Date.now() + 5000;
    while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    sock.close();
    assert.ok(sent > 200, `sent ${sent}`);
    assert.equal(wrong, 0, 'no wrong answer during reloads');
    assert.equal(pending.size, 0, `${pending.size} of ${sent} queries lost`);
    assert.equal(answered, sent);
  },
);
