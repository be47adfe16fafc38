// One chunk of the store's row ring (row-ring.ts): CHUNK rows of every column, and how a row in it
// compares with an event (the fold's test: every field but the times, duration and count).
import type { PolicyEvent } from './event.ts';
import { REFS, sourceText } from './batch-codec.ts';

/** Rows per chunk of columns (a power of two: a slot's chunk is a shift, its row a mask). */
export const CHUNK_BITS = 10;
export const CHUNK = 1 << CHUNK_BITS;
export const MASK = CHUNK - 1;

/** CHUNK rows of every column. */
export class Chunk {
  readonly time = new Float64Array(CHUNK);
  /** The event time its fold window starts at (`time` moves to the first repeat in a repeats row). */
  readonly start = new Float64Array(CHUNK);
  /** performance.now() when the row was added: its window closes by this clock, which no wall-clock
   * step (NTP, DST) can hold back. */
  readonly added = new Float64Array(CHUNK);
  readonly last = new Float64Array(CHUNK);
  readonly count = new Float64Array(CHUNK);
  readonly duration = new Float64Array(CHUNK);
  readonly intercepted = new Uint8Array(CHUNK);
  /** The rule's line when `source` holds only its file (the DNS side's rows), else -1. */
  readonly line = new Int32Array(CHUNK);
  /** The next older row (a slot of the ring) with the same target, or -1. */
  readonly older = new Int32Array(CHUNK);
  /** One column per REF_FIELDS entry (client, group, … answer: the indexes below follow it). */
  readonly text: string[][] = Array.from({ length: REFS }, () => new Array<string>(CHUNK).fill(''));
  readonly target: string[] = new Array<string>(CHUNK).fill('');
}

/** Whether row `o` of chunk `c` is the event `e` but for times, duration and count. */
export function sameEvent(c: Chunk, o: number, e: PolicyEvent): boolean {
  const t = c.text;
  return (
    t[0][o] === e.client &&
    t[5][o] === e.kind &&
    t[10][o] === e.rule &&
    t[12][o] === e.answer &&
    t[6][o] === e.decision &&
    t[4][o] === e.protocol &&
    t[9][o] === e.list &&
    t[1][o] === e.group &&
    t[2][o] === e.identity &&
    t[3][o] === e.layer &&
    t[7][o] === e.app &&
    t[8][o] === e.category &&
    (c.line[o] < 0 ? t[11][o] === e.source : sourceText(t[11][o], c.line[o]) === e.source) &&
    c.intercepted[o] === (e.intercepted ? 1 : 0)
  );
}
