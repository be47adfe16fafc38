// The TLS origin behind CONNECT tunnels in the interception bench: the same canned 1 KiB keep-alive
// response as origin.ts, over TLS with a certificate from the bench's origin CA.
// Usage: node tls-origin.ts PORT CERT KEY
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

const BODY = Buffer.alloc(1024, 'x');
const RESPONSE = Buffer.concat([
  Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\nConnection: keep-alive\r\n\r\n`,
  ),
  BODY,
]);
const END = Buffer.from('\r\n\r\n');

const server = tls.createServer(
  { cert: readFileSync(process.argv[3]), key: readFileSync(process.argv[4]), ALPNProtocols: ['http/1.1'] },
  (sock) => {
    let tail: Buffer = Buffer.alloc(0);
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: Buffer) => {
      // Requests carry no body: one response per header terminator seen.
      const buf = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
      let at = 0;
      for (let i = buf.indexOf(END, at); i >= 0; i = buf.indexOf(END, at)) {
        sock.write(RESPONSE);
        at = i + 4;
      }
      tail = buf.subarray(at);
      if (tail.length > 65536) sock.destroy();
    });
  },
);
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
