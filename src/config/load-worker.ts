// The config loader thread of load-isolated.ts: parse and validate one file, post the result, exit.
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError, loadConfig } from './load.ts';
import type { LoadReply } from './load-isolated.ts';

const file = workerData as string;
let reply: LoadReply;
try {
  reply = { kind: 'loaded', loaded: await loadConfig(file) };
} catch (err) {
  reply =
    err instanceof ConfigError
      ? { kind: 'invalid', file, problems: err.problems }
      : { kind: 'failed', message: (err as Error).stack ?? String(err) };
}
parentPort!.postMessage(reply);
