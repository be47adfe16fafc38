// Loads and validates the config in a short-lived worker thread (load-worker.ts), so that yaml and zod
// (the schema of every part: ~18 MB of code and heap measured in the serving process) live in an
// isolate that ends as soon as the config is read. What comes back is the plain validated object
// (every transform in the schemas yields plain data, which a structured clone keeps as it is) or the
// same ConfigError, message for message, that an in-process parse gives. Start and every reload use it.
import path from 'node:path';
import { tsWorker } from '../ts-worker.ts';
import { ConfigError, type LoadedConfig } from './config-error.ts';

/** What load-worker.ts posts back: exactly one message. */
export type LoadReply =
  | { readonly kind: 'loaded'; readonly loaded: LoadedConfig }
  | { readonly kind: 'invalid'; readonly file: string; readonly problems: readonly string[] }
  | { readonly kind: 'failed'; readonly message: string };

const WORKER = new URL('./load-worker.ts', import.meta.url);

export function loadConfigIsolated(file: string): Promise<LoadedConfig> {
  const abs = path.resolve(file);
  return new Promise<LoadedConfig>((resolve, reject) => {
    let reply: LoadReply | null = null;
    const worker = tsWorker(WORKER, { workerData: abs });
    worker.once('message', (m: LoadReply) => (reply = m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (reply === null) reject(new Error(`config loader thread exited (${code}) without an answer`));
      else if (reply.kind === 'loaded') resolve(reply.loaded);
      else if (reply.kind === 'invalid') reject(new ConfigError(reply.file, reply.problems));
      else reject(new Error(reply.message));
    });
  });
}
