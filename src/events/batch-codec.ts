// A batch of store rows as the writer thread receives it (RowRing.take builds it, its repeats
// already folded on the serving thread, repeat-folder.ts; row-writer.ts inserts it). Columns, not an object per row: the
// numbers go in typed arrays that are transferred (no copy), every string but the name is sent once
// per batch and referred to by index (a burst from one client by one rule sends its client, group
// and rule once), so the structured clone copies little more than the names.

/** Per row in `refs`: indexes into `strings` of these fields. */
export const REF_FIELDS = [
  'client',
  'group',
  'identity',
  'layer',
  'protocol',
  'kind',
  'decision',
  'app',
  'category',
  'list',
  'rule',
  'source',
  'answer',
] as const;
export const REFS = REF_FIELDS.length;
/** Per row in `numbers`: time, last, durationMs, count, intercepted (0/1). */
export const NUMBERS = 5;

/** A rule's `file:line` from its file and line (-1: `file` is all of it), as sourceOf writes it. */
export function sourceText(file: string, line: number): string {
  return line < 0 ? file : `${file}:${line}`;
}

export interface EncodedBatch {
  /** The distinct strings of the batch (all fields but the target). */
  readonly strings: readonly string[];
  readonly refs: Int32Array;
  readonly numbers: Float64Array;
  /** The name or URL of each row. */
  readonly targets: readonly string[];
  /**
   * Per row, the rule's line when its `source` string is only the file (the DNS side sends them
   * apart: see RowRing.push), else -1.
   */
  readonly lines: Int32Array;
}

/** Rows and the events they stand for. */
export function batchSize(b: EncodedBatch): { rows: number; events: number } {
  let events = 0;
  const rows = b.targets.length;
  for (let row = 0; row < rows; row++) events += b.numbers[row * NUMBERS + 3];
  return { rows, events };
}

/** The buffers `postMessage` can move instead of copying. */
export function transferables(b: EncodedBatch): ArrayBuffer[] {
  return [b.refs.buffer as ArrayBuffer, b.numbers.buffer as ArrayBuffer, b.lines.buffer as ArrayBuffer];
}
