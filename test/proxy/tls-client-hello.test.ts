// The SNI reader on real ClientHellos (made by node:tls and by openssl s_client), split, fragmented,
// truncated and mutated: it must find the name or say why not, and never throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { spawn } from 'node:child_process';
import { parseClientHello } from '../../src/proxy/tls-client-hello.ts';
import { missingTools } from '../helpers/tools.ts';

/** Listens on loopback, lets `connect(port)` start a TLS client, returns the first bytes it sent. */
async function capture(connect: (port: number) => () => void): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  let stop = () => {};
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no ClientHello')), 5000);
      server.on('connection', (s) => {
        let buf = Buffer.alloc(0);
        s.on('data', (c) => {
          buf = Buffer.concat([buf, c]);
          const r = parseClientHello(buf);
          if (r.state !== 'incomplete') {
            clearTimeout(t);
            s.destroy();
            resolve(buf);
          }
        });
        s.on('error', () => {});
      });
      stop = connect(port);
    });
  } finally {
    stop();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

function nodeHello(servername?: string): Promise<Buffer> {
  return capture((port) => {
    const c = tls.connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false });
    c.on('error', () => {});
    return () => c.destroy();
  });
}

/** Splits one handshake record into records of at most `size` payload bytes. */
function fragment(hello: Buffer, size: number): Buffer {
  const payload = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const out: Buffer[] = [];
  for (let off = 0; off < payload.length; off += size) {
    const part = payload.subarray(off, off + size);
    const head = Buffer.from([22, 3, 1, 0, 0]);
    head.writeUInt16BE(part.length, 3);
    out.push(head, part);
  }
  return Buffer.concat(out);
}

void test('reads the server name of a node:tls ClientHello', async () => {
  const hello = await nodeHello('Allowed.Example.');
  assert.deepEqual(parseClientHello(hello), { state: 'hello', sni: 'allowed.example' });
});

void test('a ClientHello without SNI (IP literal) has sni null', async () => {
  const hello = await nodeHello(undefined);
  assert.deepEqual(parseClientHello(hello), { state: 'hello', sni: null });
});

void test(
  'reads the server name of an openssl s_client ClientHello',
  { skip: missingTools('openssl') },
  async () => {
    const hello = await capture((port) => {
      const p = spawn(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'openssl.example'],
        {
          stdio: ['pipe', 'ignore', 'ignore'],
        },
      );
      p.on('error', () => {});
      return () => p.kill();
    });
    assert.deepEqual(parseClientHello(hello), { state: 'hello', sni: 'openssl.example' });
  },
);

void test('joins a ClientHello fragmented over many records (a trick to hide the SNI)', async () => {
  const hello = await nodeHello('fragmented.example');
  for (const size of [1, 7, 64, 200]) {
    assert.deepEqual(
      parseClientHello(fragment(hello, size)),
      { state: 'hello', sni: 'fragmented.example' },
      `${size}`,
    );
  }
});

void test('every prefix is incomplete, never an error or a wrong name', async () => {
  const hello = fragment(await nodeHello('prefix.example'), 100);
  for (let n = 0; n < hello.length; n++) {
    assert.equal(parseClientHello(hello.subarray(0, n)).state, 'incomplete', `prefix ${n}`);
  }
});

void test('not TLS, wrong handshake type, oversize and duplicate SNI are refused', async () => {
  assert.equal(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n')).state, 'not-tls');
  assert.equal(parseClientHello(Buffer.from([0x16, 0x09, 0x00])).state, 'not-tls');
  const hello = await nodeHello('dup.example');
  const serverHello = Buffer.from(hello);
  serverHello[5] = 2;
  assert.equal(parseClientHello(serverHello).state, 'invalid');
  const huge = Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x01, 0x00, 0x00]);
  assert.equal(parseClientHello(huge).state, 'invalid');
  // Append a second server_name extension by hand.
  const dup = withExtraExtension(hello, 0, sniExtensionBody('other.example'));
  assert.equal(parseClientHello(dup).state, 'invalid');
  const badName = withExtraExtension(stripSni(hello), 0, sniExtensionBody('bad name!'));
  assert.equal(parseClientHello(badName).state, 'invalid');
});

void test('random mutations never throw', async () => {
  const hello = await nodeHello('fuzz.example');
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.from(hello);
    for (let k = 0; k < 1 + (i % 8); k++)
      b[Math.floor(Math.random() * b.length)] = Math.floor(Math.random() * 256);
    const r = parseClientHello(b.subarray(0, Math.floor(Math.random() * (b.length + 1))));
    assert.ok(['incomplete', 'hello', 'not-tls', 'invalid'].includes(r.state));
  }
});

// --- helpers that rewrite a ClientHello's extension block ------------------------------------------

function sniExtensionBody(name: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  const b = Buffer.alloc(5 + n.length);
  b.writeUInt16BE(3 + n.length, 0);
  b[2] = 0;
  b.writeUInt16BE(n.length, 3);
  n.copy(b, 5);
  return b;
}

/** Offsets of the extensions block in a single-record ClientHello. */
function extensionsAt(hello: Buffer): number {
  let p = 5 + 4 + 2 + 32;
  p += 1 + hello[p];
  p += 2 + hello.readUInt16BE(p);
  p += 1 + hello[p];
  return p;
}

function rebuild(hello: Buffer, extensions: Buffer): Buffer {
  const at = extensionsAt(hello);
  const body = Buffer.concat([
    hello.subarray(9, at),
    Buffer.from([extensions.length >> 8, extensions.length & 0xff]),
    extensions,
  ]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 0xff]), body]);
  const rec = Buffer.concat([Buffer.from([22, 3, 1, hs.length >> 8, hs.length & 0xff]), hs]);
  return rec;
}

function extensionsOf(hello: Buffer): Buffer {
  const at = extensionsAt(hello);
  return hello.subarray(at + 2, at + 2 + hello.readUInt16BE(at));
}

function withExtraExtension(hello: Buffer, type: number, body: Buffer): Buffer {
  const ext = Buffer.concat([
    Buffer.from([type >> 8, type & 0xff, body.length >> 8, body.length & 0xff]),
    body,
  ]);
  return rebuild(hello, Buffer.concat([extensionsOf(hello), ext]));
}

function stripSni(hello: Buffer): Buffer {
  const exts = extensionsOf(hello);
  const kept: Buffer[] = [];
  for (let p = 0; p < exts.length;) {
    const len = exts.readUInt16BE(p + 2);
    if (exts.readUInt16BE(p) !== 0) kept.push(exts.subarray(p, p + 4 + len));
    p += 4 + len;
  }
  return rebuild(hello, Buffer.concat(kept));
}
