// Writes the seed inputs of each fuzz target into fuzz/corpus/<target>/seed-*: real queries, real
// answers (dns2's encoder), a real ClientHello (node:tls), and the classic hostile shapes
// (compression loops, forward pointers, lying length fields). Run once: `node fuzz/seed.ts`; the
// fuzzer then grows the corpus from them and `npm run fuzz` merges what adds coverage.
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dns2 from 'dns2';

const { Packet } = dns2;
const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus');

function write(target: string, name: string, data: Buffer): void {
  mkdirSync(path.join(CORPUS, target), { recursive: true });
  writeFileSync(path.join(CORPUS, target, `seed-${name}`), data);
}

function query(
  name: string,
  type: number,
  edns?: { size: number; cookie?: boolean; version?: number },
): Buffer {
  const p = new Packet();
  p.header.id = 0x4242;
  p.header.rd = 1;
  p.questions.push({ name, type, class: 1 } as never);
  let buf = Buffer.from(p.toBuffer());
  if (edns) {
    const cookie = edns.cookie ? Buffer.from('000a00080102030405060708', 'hex') : Buffer.alloc(0);
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(edns.size, 3);
    opt[6] = edns.version ?? 0;
    opt.writeUInt16BE(0x8000, 7); // DO
    opt.writeUInt16BE(cookie.length, 9);
    buf = Buffer.concat([buf, opt, cookie]);
    buf.writeUInt16BE(1, 10);
  }
  return buf;
}

function answer(name: string, records: object[], rcode = 0, authorities: object[] = []): Buffer {
  const p = new Packet();
  p.header.id = 0x4242;
  p.header.qr = 1;
  p.header.rd = 1;
  p.header.ra = 1;
  p.header.rcode = rcode;
  p.questions.push({ name, type: 1, class: 1 } as never);
  p.answers.push(...(records as never[]));
  p.authorities.push(...(authorities as never[]));
  return Buffer.from(p.toBuffer());
}

const rr = { class: 1, ttl: 300 };
const queries: Record<string, Buffer> = {
  a: query('www.example.test', 1),
  aaaa_edns: query('Www.ExAmple.TEST', 28, { size: 1232 }),
  https_cookie: query('example.test', 65, { size: 4096, cookie: true }),
  any: query('example.test', 255),
  root_ns: query('', 2),
  badvers: query('example.test', 1, { size: 1232, version: 1 }),
  long: query(
    Array.from({ length: 4 }, () => 'a'.repeat(63))
      .join('.')
      .slice(0, 253),
    1,
  ),
};
queries.qdcount2 = Buffer.from(queries.a);
queries.qdcount2.writeUInt16BE(2, 4);
queries.opcode_notify = Buffer.from(queries.a);
queries.opcode_notify[2] |= 4 << 3;
queries.pointer_in_question = Buffer.concat([queries.a.subarray(0, 12), Buffer.from('c00c00010001', 'hex')]);
queries.truncated = queries.aaaa_edns.subarray(0, queries.aaaa_edns.length - 5);

const answers: Record<string, Buffer> = {
  a: answer('www.example.test', [{ ...rr, name: 'www.example.test', type: 1, address: '192.0.2.1' }]),
  cname_chain: answer('app.example.test', [
    { ...rr, name: 'app.example.test', type: 5, domain: 'edge.cdn.test' },
    { ...rr, name: 'edge.cdn.test', type: 5, domain: 'weixin.qq.com' },
    { ...rr, name: 'weixin.qq.com', type: 1, address: '203.0.113.9' },
    { ...rr, name: 'weixin.qq.com', type: 28, address: '2001:db8::9' },
  ]),
  nxdomain_soa: answer('nope.example.test', [], 3, [
    {
      ...rr,
      name: 'example.test',
      type: 6,
      primary: 'ns.test',
      admin: 'h.test',
      serial: 1,
      refresh: 1,
      retry: 1,
      expiration: 1,
      minimum: 60,
    },
  ]),
  txt_mx: answer('example.test', [
    { ...rr, name: 'example.test', type: 16, data: 'v=spf1 -all' },
    { ...rr, name: 'example.test', type: 15, priority: 10, exchange: 'mail.example.test' },
  ]),
};
// A compression pointer to itself, and one pointing forward.
answers.pointer_loop = Buffer.from(answers.a);
answers.pointer_loop.writeUInt16BE(0xc000 | 34, 34);
answers.pointer_forward = Buffer.from(answers.a);
answers.pointer_forward.writeUInt16BE(0xc000 | 60, 34);
answers.rdlength_lies = Buffer.from(answers.a);
answers.rdlength_lies.writeUInt16BE(0xffff, answers.a.length - 6);
answers.ancount_lies = Buffer.from(answers.a);
answers.ancount_lies.writeUInt16BE(0xffff, 6);
answers.ttl_top_bit = Buffer.from(answers.a);
answers.ttl_top_bit.writeUInt32BE(0x80000000, answers.a.length - 10);

for (const [n, b] of Object.entries(queries)) {
  write('client-query', n, b);
  write('doh-body', n, b);
}
for (const [n, b] of Object.entries(answers)) write('upstream-answer', n, b);
// dns-cookie: [address selector, position] + COOKIE option data (RFC 9018 Appendix A among them).
const cookieSeeds: Record<string, string> = {
  client_only_v4: '0000' + '2464c4abcf10c957',
  client_only_v6: '0103' + '22681ab97d52c298',
  rfc9018_a2: '0007' + '2464c4abcf10c957010000005cf79f111f8130c3eee29480',
  rfc9018_a3_reserved: '02ff' + 'fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5',
  server_cookie_32: '0300' + 'ab'.repeat(40),
  too_short: '0000' + '01020304',
  between: '0000' + '01'.repeat(12),
  too_long: '0000' + '02'.repeat(41),
  empty: '0000',
};
for (const [n, h] of Object.entries(cookieSeeds)) write('dns-cookie', n, Buffer.from(h, 'hex'));
write('doh-body', 'get_param', Buffer.from(queries.a.toString('base64url')));

// A real ClientHello: connect node:tls to a socket that records the first bytes and closes.
const captureHello = (servername: string) =>
  new Promise<Buffer>((resolve, reject) => {
    const server = net.createServer((sock) => {
      sock.once('data', (d) => {
        resolve(d);
        sock.destroy();
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      const c = tls.connect({ host: '127.0.0.1', port, servername });
      c.on('error', () => {});
    });
    server.on('error', reject);
  });
const hello = await captureHello('Long.WeiXin.qq.com');
write('tls-client-hello', 'node_tls', hello);
write('tls-client-hello', 'split_records', splitRecords(hello));
write('tls-client-hello', 'http', Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));

// Intercepted tunnels (fuzz/targets/intercept.ts): a 2-byte hello length, the hello, a request head.
const tunnel = (h: Buffer, head: string) =>
  Buffer.concat([Buffer.from([h.length >> 8, h.length & 255]), h, Buffer.from(head, 'latin1')]);
const ownHello = await captureHello('dldir1.qq.com');
const req = (target: string, host = 'dldir1.qq.com', extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
const tunnelSeeds: Record<string, [Buffer, string]> = {
  installer: [ownHello, req('/weixin/Windows/WeChatSetup.exe')],
  allowed: [ownHello, req('/qqfile/qq/QQ9.7.exe?x=1')],
  encoded: [ownHello, req('/foo%2F..%2Fweixin/WeChatSetup.exe')],
  double: [ownHello, req('/%252Fweixin/x')],
  backslash: [splitRecords(ownHello), req('/a\\..\\weixin/x;jsessionid=1')],
  host_port: [ownHello, req('/weixin/', 'DLDIR1.QQ.COM.:443')],
  other_host: [ownHello, req('/weixin/', 'apps.apple.com')],
  absolute: [ownHello, req('https://dldir1.qq.com/weixin/')],
  loop: [ownHello, req('/', 'dldir1.qq.com', 'Via: 1.1 banwall-fuzz0001\r\n')],
  other_sni: [hello, req('/')],
  http10: [Buffer.alloc(0), 'GET /weixin/ HTTP/1.0\r\nHost: dldir1.qq.com\r\n\r\n'],
};
for (const [name, [h, head]] of Object.entries(tunnelSeeds)) write('intercept', name, tunnel(h, head));

/** The same handshake message carried in two TLS records (legal; naive parsers miss it). */
function splitRecords(record: Buffer): Buffer {
  const body = record.subarray(5, 5 + record.readUInt16BE(3));
  const cut = 40;
  const rec = (b: Buffer) => Buffer.concat([Buffer.from([22, 3, 1, b.length >> 8, b.length & 255]), b]);
  return Buffer.concat([rec(body.subarray(0, cut)), rec(body.subarray(cut))]);
}
console.log(`seeds written to ${CORPUS}`);
