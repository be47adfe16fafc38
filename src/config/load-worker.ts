// The config loader thread of load-isolated.ts: parse and validate one file, post the result, exit.
// Every module this thread imports is noted (a resolve hook, registered before load.ts is imported)
// so that the main thread can keep the result for the same bytes and the same code
// (validated-cache.ts).
import { registerHooks } from 'node:module';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from './config-error.ts';
import type { LoadReply } from './load-isolated.ts';
import { codeStamps, configKey } from './validated-cache.ts';

const imported = new Set<string>([import.meta.url]);
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    imported.add(resolved.url);
    return resolved;
  },
});

const file = workerData as string;
let reply: LoadReply;
try {
  const { readConfigBytes, parseConfig } = await import('./load.ts');
  const bytes = await readConfigBytes(file);
  const loaded = { file, dir: path.dirname(file), config: parseConfig(bytes.toString('utf8'), file) };
  reply = { kind: 'loaded', loaded, key: configKey(file, bytes), code: codeStamps(imported) };
} catch (err) {
  reply =
    err instanceof ConfigError
      ? { kind: 'invalid', file, problems: err.problems }
      : { kind: 'failed', message: (err as Error).stack ?? String(err) };
}
parentPort!.postMessage(reply);
