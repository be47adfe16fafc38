// Readiness probes: "time from start to first answer" is measured by asking the server one name
// every few milliseconds until it answers with the expected rcode.
import dgram from 'node:dgram';
import net from 'node:net';

function queryPacket(name: string, id: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  const qname = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])),
    Buffer.from([0]),
  ]);
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([header, qname, Buffer.from([0, 1, 0, 1])]); // A IN, RD set
}

/**
 * Resolves with milliseconds (from `since`, a performance.now() value) to the first answer to
 * `name` whose rcode is `rcode`; rejects after `timeoutMs` or when `alive()` turns false.
 */
export function waitForDnsAnswer(
  port: number,
  name: string,
  since: number,
  timeoutMs: number,
  alive: () => boolean,
  rcode = 0,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    let id = 1;
    let done = false;
    const finish = (err: Error | null, ms?: number) => {
      if (done) return;
      done = true;
      clearInterval(timer);
      sock.close();
      if (err) reject(err);
      else resolve(ms!);
    };
    sock.on('error', () => {
      // ICMP port unreachable while the server is not bound yet: keep polling.
    });
    sock.on('message', (msg) => {
      if (msg.length >= 12 && (msg[3] & 0x0f) === rcode && (msg[2] & 0x80) !== 0) {
        finish(null, performance.now() - since);
      }
    });
    const timer = setInterval(() => {
      if (!alive()) return finish(new Error('the server exited before answering'));
      if (performance.now() - since > timeoutMs)
        return finish(new Error(`no answer for ${name} in ${timeoutMs} ms`));
      id = (id + 1) & 0xffff;
      sock.send(queryPacket(name, id), port, '127.0.0.1');
    }, 5);
  });
}

/** Resolves once a TCP connect to 127.0.0.1:`port` succeeds. */
export async function waitForTcp(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!alive()) throw new Error(`the server on port ${port} exited`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port');
}
