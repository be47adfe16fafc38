// The main thread's side of the compile worker: a reload reads its changed list files and builds its
// name table there, and gets back arrays it uses as they are (transferred or shared, never copied
// element by element). One worker per reload, ended when the reload ends: an idle banwall keeps no
// second V8 isolate (~10 MB). A worker that cannot start or dies fails the reload; the policy in
// force keeps serving.
import { getCompileCacheDir } from 'node:module';
import { Worker } from 'node:worker_threads';
import { NameTable, type NameBuilder } from '../match/name-table.ts';
import { restoreParsed } from '../parse/parsed-data.ts';
import type { ParsedList } from '../parse/parsed-list.ts';
import type { ListFileJob } from '../sources/list-file.ts';
import type { WorkerJob, WorkerReply } from './protocol.ts';

type Pending = { resolve: (r: WorkerReply) => void; reject: (e: Error) => void };

export class CompileOffload {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** Reads a list file in the worker; `warning` when its compiled copy could not be written. */
  async readListFile(job: ListFileJob): Promise<{ parsed: ParsedList; warning?: string }> {
    const r = await this.run({ kind: 'list-file', ...job });
    if (r.kind !== 'list-file') throw new Error('compile worker: unexpected reply');
    return { parsed: restoreParsed(r.data, r.data.names), warning: r.warning };
  }

  /** Builds the table of `builders` (in list order) in the worker; the lists then bind to it. */
  async buildTable(builders: readonly NameBuilder[]): Promise<NameTable> {
    const r = await this.run({ kind: 'table', parts: builders.map((b) => b.part()) });
    if (r.kind !== 'table') throw new Error('compile worker: unexpected reply');
    const table = new NameTable(r.block);
    table.bindAll(builders);
    return table;
  }

  /** Ends the worker (pending jobs fail). */
  close(): void {
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
    this.failAll(new Error('compile worker closed'));
  }

  private run(job: WorkerJob): Promise<Extract<WorkerReply, { ok: true }>> {
    const w = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, job });
    }).then((r) => {
      if (!r.ok) throw new Error(r.error);
      return r;
    });
  }

  private start(): Worker {
    // Started through a one-line script that switches V8's compile cache on first, as bin/banwall.js
    // does for the main thread: a worker started on the .ts file directly loaded Node's TypeScript
    // stripper (its WebAssembly, 1.7 s of CPU under load) at every reload.
    const entry = JSON.stringify(new URL('./compile-worker.ts', import.meta.url).href);
    const cacheDir = getCompileCacheDir();
    const enable = cacheDir ? `require('node:module').enableCompileCache(${JSON.stringify(cacheDir)});` : '';
    const w = new Worker(`${enable}import(${entry});`, { eval: true });
    w.on('message', (r: WorkerReply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      p?.resolve(r);
    });
    w.on('error', (err) => this.failAll(new Error(`compile worker failed: ${err.message}`)));
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = null;
      this.failAll(new Error(`compile worker exited (code ${code})`));
    });
    this.worker = w;
    return w;
  }

  private failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }
}
