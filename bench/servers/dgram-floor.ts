// The floor of node:dgram on this machine: a Node process that answers each query by flipping it
// into a response (no parsing, no lookup, no allocation of its own). Whatever banwall costs above
// this column is banwall's code; what this column costs is Node's UDP path, which banwall pays too.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startReady } from '../lib/procs.ts';
import { freePort, waitForDnsAnswer } from '../lib/probe.ts';
import { PROBE_NAME } from '../lib/gen.ts';
import type { DnsPeer, RunningServer } from './types.ts';

const SERVER = `import dgram from 'node:dgram';
const s = dgram.createSocket('udp4');
s.on('message', (msg, rinfo) => {
  // QR=1; NXDOMAIN for the blocklist's names ("ad…" first label), NOERROR otherwise.
  msg[2] |= 0x80;
  msg[3] = (msg[3] & 0xf0) | (msg[13] === 0x61 && msg[14] === 0x64 ? 3 : 0);
  s.send(msg, rinfo.port, rinfo.address);
});
s.bind(Number(process.argv[2]), '127.0.0.1');
`;

export function dgramFloor(workDir: string): DnsPeer {
  const dir = path.join(workDir, 'dgram-floor');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'floor.mjs');
  writeFileSync(file, SERVER);
  return {
    name: 'node dgram floor',
    loadsLists: false,
    largestListOnly: true,
    async start(): Promise<RunningServer> {
      const port = await freePort();
      const { proc, ready } = await startReady(
        'node dgram floor',
        process.execPath,
        [file, String(port)],
        path.join(dir, 'floor.out'),
        (alive, t0) => waitForDnsAnswer(port, PROBE_NAME, t0, 30_000, alive),
      );
      return { name: 'node dgram floor', proc, port, readyMs: ready };
    },
  };
}
