// A batch of store rows as the writer thread receives it (RowRing.take builds it), and the one place
// that turns a row back into an event (the writer's folding; row-writer.ts binds rows to the INSERT). Columns, not an object per row: the numbers go in typed arrays that
// are transferred (no copy), every string but the name is sent once per batch and referred to by
// index (a burst from one client by one rule sends its client, group and rule once), so the
// structured clone copies little more than the names.
import type { EventDecision, EventLayer, PolicyEvent } from './event.ts';

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

/** The row's `file:line` (joined here, on the writer thread, when the serving thread sent them apart). */
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

/** Rows and the events they stand for (only the rows set in `keep`, when given). */
export function batchSize(b: EncodedBatch, keep?: Uint8Array): { rows: number; events: number } {
  let events = 0;
  let rows = 0;
  for (let row = 0; row < b.targets.length; row++) {
    if (keep !== undefined && keep[row] === 0) continue;
    rows++;
    events += b.numbers[row * NUMBERS + 3];
  }
  return { rows, events };
}

/** The buffers `postMessage` can move instead of copying. */
export function transferables(b: EncodedBatch): ArrayBuffer[] {
  return [b.refs.buffer as ArrayBuffer, b.numbers.buffer as ArrayBuffer, b.lines.buffer as ArrayBuffer];
}

/** Each row back as an event with its count and last time (the writer folds them; tests read them). */
export function forEachRow(
  b: EncodedBatch,
  fn: (e: PolicyEvent, count: number, last: number, row: number) => void,
): void {
  const { strings: s, refs: r, numbers: n, targets, lines } = b;
  for (let row = 0; row < targets.length; row++) {
    const i = row * REFS;
    const j = row * NUMBERS;
    fn(
      {
        time: n[j],
        client: s[r[i]],
        group: s[r[i + 1]],
        identity: s[r[i + 2]],
        layer: s[r[i + 3]] as EventLayer,
        protocol: s[r[i + 4]],
        target: targets[row],
        kind: s[r[i + 5]],
        decision: s[r[i + 6]] as EventDecision,
        app: s[r[i + 7]],
        category: s[r[i + 8]],
        list: s[r[i + 9]],
        rule: s[r[i + 10]],
        source: sourceText(s[r[i + 11]], lines[row]),
        answer: s[r[i + 12]],
        durationMs: n[j + 2],
        intercepted: n[j + 4] === 1,
      },
      n[j + 3],
      n[j + 1],
      row,
    );
  }
}
