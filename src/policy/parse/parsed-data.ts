// A ParsedList as plain data: what crosses a thread (the compile worker) or goes to disk (the per-list
// compiled copy, the policy snapshot file). Names travel as their typed arrays; regex, URL and IP rules
// (few, and holding compiled automata) travel as their lines and are parsed again on arrival.
import { ParsedList, type BadLine, type ParsedFormat } from './parsed-list.ts';
import { PARSERS } from './parse-list.ts';

/** Everything of a ParsedList but its names and its parsed special rules. */
export interface ParsedMeta {
  readonly format: ParsedFormat;
  readonly ruleLines: number;
  readonly badCount: number;
  readonly badLines: readonly BadLine[];
  readonly specialLines: readonly { line: number; text: string }[];
  readonly broad: readonly BadLine[];
}

export interface NameArrays {
  readonly count: number;
  readonly hi: Uint32Array;
  readonly lo: Uint32Array;
  readonly line: Uint32Array;
  readonly flags: Uint8Array;
}

export interface ParsedData extends ParsedMeta {
  readonly names: NameArrays;
}

export function parsedMeta(p: ParsedList): ParsedMeta {
  const { format, ruleLines, badCount, badLines, specialLines, broad } = p;
  return { format, ruleLines, badCount, badLines, specialLines, broad };
}

/** The list's data; the name arrays are trimmed views (`shrink()` first to own them exactly). */
export function parsedData(p: ParsedList): ParsedData {
  const n = p.names.count;
  const b = p.names;
  return {
    ...parsedMeta(p),
    names: {
      count: n,
      hi: b.hi.subarray(0, n),
      lo: b.lo.subarray(0, n),
      line: b.line.subarray(0, n),
      flags: b.flags.subarray(0, n),
    },
  };
}

/**
 * A ParsedList from its data: the special lines parsed again (they rebuild the RE2 automata, URL
 * specs and IP rules). `names` null: the caller binds the names to the table that holds them.
 */
export function restoreParsed(meta: ParsedMeta, names: NameArrays | null): ParsedList {
  const p = new ParsedList();
  p.format = meta.format;
  p.ruleLines = meta.ruleLines;
  const parseLine = PARSERS[meta.format];
  for (const s of meta.specialLines) {
    p.specialLines.push(s);
    parseLine(p, s.text, 0, s.text.length, s.line);
  }
  p.badLines.length = 0;
  p.badLines.push(...meta.badLines);
  p.broad.length = 0; // the special lines above re-added theirs; meta.broad holds every one
  p.broad.push(...meta.broad);
  p.badCount = meta.badCount;
  if (names) {
    const b = p.names;
    b.count = names.count;
    b.hi = names.hi;
    b.lo = names.lo;
    b.line = names.line;
    b.flags = names.flags;
  }
  return p;
}
