// Worker threads on banwall's .ts files. A thread does not inherit the process's compile cache
// (bin/banwall.js switches it on for the main thread only): a Worker started on a .ts file directly
// loads Node's TypeScript stripper (its WebAssembly, ~20 MB of RSS that stay with the process, and
// 0.3–1.7 s of CPU under load) and strips every file again at each start. Started through a line of
// plain JavaScript that switches the cache on first, a thread reads the same cache the main thread
// wrote and the stripper never loads (src/policy/worker/compile-offload.ts does the same).
import { getCompileCacheDir } from 'node:module';
import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function tsWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  // getCompileCacheDir() names the versioned subdirectory; enableCompileCache wants its parent.
  const dir = getCompileCacheDir();
  const enable =
    dir === undefined
      ? ''
      : `require('node:module').enableCompileCache(${JSON.stringify(path.dirname(dir))});`;
  return new Worker(`${enable}import(${JSON.stringify(entry.href)});`, { ...options, eval: true });
}
