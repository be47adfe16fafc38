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

export interface ListFileRead {
  readonly parsed: ParsedList;
  /**
   * The write of the file's compiled copy, under way: resolves with a warning when it failed (that
   * only costs the next start a parse), else undefined. Not awaited before the parse is returned:
   * the table is built meanwhile (the write took 30–50 ms of a 1 M-name start's wall time, 7 Dec
   * 2026); compile.ts awaits it before the compile ends, so `banwall check` leaves no half file.
   */
  readonly copied: Promise<string | undefined>;
}

const NOTHING_TO_COPY: Promise<undefined> = Promise.resolve(undefined);

/** The parsed file (see ListFileRead). Throws when the file cannot be read. */
export async function readListFile(job: ListFileJob): Promise<ListFileRead> {
  const cached = job.compiledPath ? await readCompiled(job.compiledPath) : null;
  if (cached) return { parsed: cached, copied: NOTHING_TO_COPY };
  const parsed = await parseListFile(job.file, job.format, job.blocking === true);
  if (job.compiledPath && parsed.names.count >= COMPILE_MIN_NAMES && !looksBroken(parsed)) {
    const copied = writeCompiled(job.compiledPath, parsed).then(
      () => undefined,
      (err: Error) => err.message,
    );
    return { parsed, copied };
  }
  return { parsed, copied: NOTHING_TO_COPY };
}
