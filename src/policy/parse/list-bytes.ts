// Parses a list file from its bytes, 1 MiB read at a time, with the same result as parse-list.ts on
// the file's text (test/policy/list-bytes.test.ts compares the two on every format and edge case).
// A line that is a plain name of three labels or more in a domains or hosts list (nearly every line
// of a big list) is hashed from the bytes (match/name-bytes.ts): no string for it, no UTF-8 decoding
// of the file. Every other line (comments aside) is decoded alone and given to the format's parser,
// which decides it exactly as before: names of one or two labels (the broad-rule check), `=`, `*.`,
// `@@`, regexes, addresses, keywords, hosts lines, every adblock line, anything not ASCII, bad lines.
// Measured on a 1 M-name list (7 Dec 2026, same process, alternating): 500–720 ms through text
// (`createReadStream` decoding, a line string each) against the figures in bench/README.md's start
// section for this path.
import { open } from 'node:fs/promises';
import { hashedKey, hashNameBytes } from '../match/name-bytes.ts';
import { detectFormat } from './detect.ts';
import { PARSERS, type LineParser, type ListFormat } from './parse-list.ts';
import { ParsedList } from './parsed-list.ts';

/** Bytes read at a time (the text path read the same: format detection sees the same first chunk). */
const CHUNK = 1 << 20;

/** Parses the list file `file` in `format`. Throws when it cannot be read. */
export async function parseListFile(file: string, format: ListFormat): Promise<ParsedList> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const parser = new ByteLineParser(format, size);
    let buf = Buffer.allocUnsafe(CHUNK);
    let have = 0;
    for (;;) {
      if (have === buf.length) {
        // One line longer than the buffer: room for more of it.
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, have, buf.length - have, null);
      have += bytesRead;
      const eof = bytesRead === 0;
      const used = parser.feed(buf, have, eof);
      if (eof) break;
      buf.copy(buf, 0, used, have);
      have -= used;
    }
    return parser.finish();
  } finally {
    await fh.close();
  }
}

/** The line loop of parse-list.ts's `parseListChunks`, over bytes. */
class ByteLineParser {
  private readonly out = new ParsedList();
  private readonly format: ListFormat;
  private readonly size: number;
  private parseLine: LineParser | null = null;
  private adblock = false;
  /** Names of three labels or more are hashed from the bytes (domains and hosts lists). */
  private fast = false;
  private lineNo = 0;
  private consumed = 0;
  private reserved = false;

  constructor(format: ListFormat, size: number) {
    this.format = format;
    this.size = size;
  }

  /**
   * Parses the whole lines of bytes[0, end) (all of it at the end of the file) and returns how many
   * bytes it took; the caller keeps the rest for the next read.
   */
  feed(bytes: Buffer, end: number, eof: boolean): number {
    const last = eof ? end : bytes.lastIndexOf(10, end - 1) + 1;
    if (last === 0) return 0;
    let pos = 0;
    if (this.parseLine === null) {
      const f = this.format;
      this.out.format =
        f === 'auto' ? detectFormat(bytes.toString('utf8', 0, last)) : f === 'rules' ? 'domains' : f;
      this.parseLine = PARSERS[this.out.format];
      this.adblock = this.out.format === 'adblock';
      this.fast = !this.adblock;
      if (last >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) pos = 3; // BOM
    }
    const out = this.out;
    const names = out.names;
    const fast = this.fast;
    const adblock = this.adblock;
    let lineNo = this.lineNo;
    while (pos < last) {
      // The line's end and its first '#' in one pass (`indexOf` per line cost 80 ms a million lines,
      // this loop ~30 ms for the same 30 MB, 7 Dec 2026).
      let nl = pos;
      let hash = -1;
      while (nl < last) {
        const b = bytes[nl];
        if (b === 10) break;
        if (b === 35 && hash < 0) hash = nl;
        nl++;
      }
      lineNo++;
      let s = pos;
      // Trailing comment: ' #' (adblock uses '#' inside cosmetic rules, reported by its parser).
      let e = hash >= 0 && !adblock ? hash : nl;
      pos = nl + 1;
      while (s < e && isSpace(bytes[s])) s++;
      if (s === e) continue;
      const c = bytes[s];
      if (c === 35) continue; // '#' comment (adblock: a line starting with it)
      while (e > s && isSpace(bytes[e - 1])) e--;
      out.ruleLines++;
      // A name starting with a letter, `-` or `_` (a digit may start an address): what the text
      // parsers' fast path adds with no other check once it has three labels.
      if (fast && (c >= 97 || (c >= 65 && c <= 90) || c === 45 || c === 95)) {
        if (hashNameBytes(bytes, s, e) >= 3) {
          names.push(hashedKey[0], hashedKey[1], 0, lineNo);
          continue;
        }
      }
      this.slowLine(bytes.toString('utf8', s, e), lineNo);
    }
    this.lineNo = lineNo;
    this.consumed += last;
    if (!this.reserved && this.consumed > 0 && names.count > 0) {
      // Room for the whole file at the first chunk's names per byte (+1/16): no growth copies.
      this.reserved = true;
      names.reserve(Math.ceil(((names.count / this.consumed) * this.size * 17) / 16));
    }
    return last;
  }

  /** A line the bytes do not settle: parsed as text, as parse-list.ts does. */
  private slowLine(text: string, lineNo: number): void {
    const out = this.out;
    const special = out.regexes.length + out.urls.length + out.ips.length;
    this.parseLine!(out, text, 0, text.length, lineNo);
    if (out.regexes.length + out.urls.length + out.ips.length !== special) {
      out.specialLines.push({ line: lineNo, text });
    }
  }

  finish(): ParsedList {
    this.out.finish();
    return this.out;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}
