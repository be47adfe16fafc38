// The HTTP origin behind every proxy: answers every request on a keep-alive connection with the
// same canned 1 KiB response. Hand-written on `net` (no HTTP parser) so that the origin is never
// what limits a proxy; "origin direct" in the table is its ceiling on this machine.
import net from 'node:net';

const BODY = Buffer.alloc(1024, 'x');
const RESPONSE = Buffer.concat([
  Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\nConnection: keep-alive\r\n\r\n`,
  ),
  BODY,
]);
const END = Buffer.from('\r\n\r\n');

function serve(sock: net.Socket): void {
  let tail: Buffer = Buffer.alloc(0);
  sock.setNoDelay(true);
  sock.on('error', () => sock.destroy());
  sock.on('data', (chunk: Buffer) => {
    // Requests carry no body: one response per header terminator seen.
    const buf = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    let n = 0;
    let at = 0;
    for (;;) {
      const i = buf.indexOf(END, at);
      if (i < 0) break;
      n++;
      at = i + 4;
    }
    tail = buf.subarray(at);
    if (tail.length > 65536) return sock.destroy();
    if (n === 1) sock.write(RESPONSE);
    else if (n > 1) sock.write(Buffer.concat(Array.from({ length: n }, () => RESPONSE)));
  });
}

const server = net.createServer(serve);
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
