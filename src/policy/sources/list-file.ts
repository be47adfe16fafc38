// Reads one local list file into a ParsedList: from its compiled copy when the file is unchanged
// (compiled-cache.ts), else parsed from its bytes 1 MiB at a time (parse/list-bytes.ts), then a
// compiled copy written for big lists.
// Runs on the main thread at start and in the compile worker (src/policy/worker) at a reload.
import { looksBroken, type ListFormat } from '../parse/parse-list.ts';
import { parseListFile } from '../parse/list-bytes.ts';
import type { ParsedList } from '../parse/parsed-list.ts';
import { readCompiled, writeCompiled } from './compiled-cache.ts';

/** Lists smaller than this parse faster than their compiled copy is worth keeping. */
const COMPILE_MIN_NAMES = 50_000;

export interface ListFileJob {
  readonly file: string;
  readonly format: ListFormat;
  /** Where the compiled copy of this file (this size and mtime) is kept; null: none. */
  readonly compiledPath: string | null;
  /**
   * Read with blocking calls: nothing is served on this thread meanwhile (the first load, `banwall
   * check`, the compile worker). A reload reads on the main thread without (parse/list-bytes.ts).
   */
  readonly blocking?: boolean;
}

/**
 * The parsed file, with `warning` set when its compiled copy could not be written (a failed write
 * only costs the next start a parse). Throws when the file cannot be read.
 */
export async function readListFile(job: ListFileJob): Promise<{ parsed: ParsedList; warning?: string }> {
  const cached = job.compiledPath ? await readCompiled(job.compiledPath) : null;
  if (cached) return { parsed: cached };
  const parsed = await parseListFile(job.file, job.format, job.blocking === true);
  if (job.compiledPath && parsed.names.count >= COMPILE_MIN_NAMES && !looksBroken(parsed)) {
    try {
      await writeCompiled(job.compiledPath, parsed);
    } catch (err) {
      return { parsed, warning: (err as Error).message };
    }
  }
  return { parsed };
}
