// Parses one list's text into a ParsedList, line by line, in the list's format. Large lists are
// parsed in slices that yield to the event loop (a 1 M-line list takes a few hundred ms in all, which
// must not stall the resolver while a reload compiles beside it).
import { ParsedList, type ParsedFormat } from './parsed-list.ts';
import { detectFormat } from './detect.ts';
import { parseDomainLine } from './domains.ts';
import { parseHostsLine } from './hosts.ts';
import { parseAdblockLine } from './adblock.ts';

export type ListFormat = 'auto' | 'domains' | 'hosts' | 'adblock' | 'rules';

/** Lines parsed between two yields to the event loop (about 10–20 ms of work). */
const SLICE_LINES = 50_000;

export type LineParser = (out: ParsedList, text: string, s: number, e: number, lineNo: number) => void;

export const PARSERS: Record<ParsedFormat, LineParser> = {
  domains: parseDomainLine,
  hosts: parseHostsLine,
  adblock: parseAdblockLine,
};

export async function parseList(text: string, format: ListFormat): Promise<ParsedList> {
  return parseListChunks([text], format);
}

/**
 * Parses a list given as chunks of whole lines (a file read 1 MiB at a time: a 1 M-name list never
 * exists as one 35 MB string, which V8 would keep as heap pages long after it is garbage).
 */
export async function parseListChunks(
  chunks: Iterable<string> | AsyncIterable<string>,
  format: ListFormat,
): Promise<ParsedList> {
  const out = new ParsedList();
  let parseLine: LineParser | null = null;
  let adblock = false;
  let lineNo = 0;
  let sliceEnd = SLICE_LINES;
  let first = true;
  for await (const text of chunks) {
    if (parseLine === null) {
      out.format = format === 'auto' ? detectFormat(text) : format === 'rules' ? 'domains' : format;
      parseLine = PARSERS[out.format];
      adblock = out.format === 'adblock';
    }
    let pos = first && text.charCodeAt(0) === 0xfeff ? 1 : 0;
    first = false;
    const len = text.length;
    while (pos < len) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = len;
      lineNo++;
      let s = pos;
      let e = nl;
      pos = nl + 1;
      while (s < e && isSpace(text.charCodeAt(s))) s++;
      if (s === e) continue;
      const c = text.charCodeAt(s);
      if (c === 35) continue; // '#' comment
      // Trailing comment: ' #' (adblock uses '#' inside cosmetic rules, reported by its parser).
      if (!adblock) {
        for (let i = s; i < e; i++) {
          if (text.charCodeAt(i) === 35) {
            e = i;
            break;
          }
        }
      }
      while (e > s && isSpace(text.charCodeAt(e - 1))) e--;
      if (s === e) continue;
      out.ruleLines++;
      const special = out.regexes.length + out.urls.length + out.ips.length;
      parseLine(out, text, s, e, lineNo);
      if (out.regexes.length + out.urls.length + out.ips.length !== special) {
        out.specialLines.push({ line: lineNo, text: text.slice(s, e) });
      }
      if (lineNo >= sliceEnd) {
        sliceEnd = lineNo + SLICE_LINES;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }
  out.finish();
  return out;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/** A list "fails to parse" when most of its rule lines are bad (an HTML error page, a wrong file). */
export function looksBroken(list: ParsedList): boolean {
  return list.badCount > 0 && list.badCount * 2 > list.ruleLines;
}
