// Loads and validates the config in a short-lived worker thread (load-worker.ts), so that yaml and zod
// (the schema of every part: ~18 MB of code and heap measured in the serving process) live in an
// isolate that ends as soon as the config is read. What comes back is the plain validated object
// (every transform in the schemas yields plain data, which a structured clone keeps as it is) or the
// same ConfigError, message for message, that an in-process parse gives. Start and every reload use it.
// A file with the same bytes as the last one validated, by the same code, is not validated again: its
// result is kept beside the compile cache (validated-cache.ts) and a start skips the thread.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tsWorker } from '../ts-worker.ts';
import { ConfigError, type LoadedConfig } from './config-error.ts';
import { cachedConfig, keepConfig, type CodeStamp } from './validated-cache.ts';

/** What load-worker.ts posts back: exactly one message. */
export type LoadReply =
  | {
      readonly kind: 'loaded';
      readonly loaded: LoadedConfig;
      /** validated-cache.ts: the key of the bytes validated, the modules that validated them. */
      readonly key: string;
      readonly code: readonly CodeStamp[];
    }
  | { readonly kind: 'invalid'; readonly file: string; readonly problems: readonly string[] }
  | { readonly kind: 'failed'; readonly message: string };

const WORKER = new URL('./load-worker.ts', import.meta.url);

/**
 * The config at `file` as validated before from the same bytes by the same code, or null. Synchronous
 * (a small file and one entry): `serve` has it before the app's module graph queues hundreds of reads
 * in libuv's thread pool ahead of any asynchronous one.
 */
export function keptConfig(file: string): LoadedConfig | null {
  const abs = path.resolve(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch {
    return null; // unreadable: the thread reports it in its own words
  }
  return cachedConfig(abs, bytes);
}

export async function loadConfigIsolated(file: string): Promise<LoadedConfig> {
  return keptConfig(file) ?? validateInThread(path.resolve(file));
}

function validateInThread(abs: string): Promise<LoadedConfig> {
  return new Promise<LoadedConfig>((resolve, reject) => {
    let reply: LoadReply | null = null;
    const worker = tsWorker(WORKER, { workerData: abs });
    worker.once('message', (m: LoadReply) => (reply = m));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (reply === null) reject(new Error(`config loader thread exited (${code}) without an answer`));
      else if (reply.kind === 'loaded') {
        resolve(reply.loaded);
        keepConfig(reply.loaded, reply.key, reply.code).catch(() => undefined);
      } else if (reply.kind === 'invalid') reject(new ConfigError(reply.file, reply.problems));
      else reject(new Error(reply.message));
    });
  });
}
