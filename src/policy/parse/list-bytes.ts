// Parses a list from its bytes, 1 MiB at a time: a file, a remote list's body or copy, an inline list
// (`parseList`). The same result as the text parser it replaced (the line loop that cut a decoded
// string; test/policy/list-bytes.test.ts keeps it as its oracle and compares every format and edge
// case).
// A line that is one plain name of three labels or more (nearly every line of a big list: `name`,
// `0.0.0.0 name` or `127.0.0.1 name` in a hosts list, `||name^` or `@@||name^` in an adblock list) is
// hashed from the bytes (match/name-bytes.ts): no string for it, no UTF-8 decoding of the file. Every
// other line (comments aside) is decoded alone and given to its format's parser, which decides it
// exactly as before: names of one or two labels (the broad-rule check), `=`, `*.`, `@@` names,
// regexes, addresses, keywords, hosts lines of several names, modifiers, anything not ASCII, bad lines.
// 1 M names, a cold process each, same minutes (7 Dec 2026, load 5–6), CPU (wall) of the parse:
// domains 560–720 ms (0.8–1.2 s) → 210–280 (0.33–0.37 s); hosts 870–1,050 (1.7–2.0 s) → 250–260
// (0.41–0.69 s); adblock 580–700 (1.3–1.6 s) → 220–240 (0.33–0.65 s).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { hashedKey, hashNameBytes } from '../match/name-bytes.ts';
import { ALLOW } from '../match/name-table.ts';
import { detectFormatSampled } from './detect.ts';
import { formatOf, PARSERS, type LineParser, type ListFormat } from './parse-list.ts';
import { ParsedList } from './parsed-list.ts';

/** Bytes read at a time (the text path read the same: format detection sees the same first chunk). */
const CHUNK = 1 << 20;

/**
 * Parses the list file `file` in `format`. Throws when it cannot be read. `blocking`: read with
 * blocking calls, for a thread that serves nothing meanwhile (the first load, `banwall check`, the
 * compile worker): each of a 1 M-name list's 30 reads through libuv's pool waited for a turn of the
 * pool thread and then of the event loop, 250 ms of a start's parse in `--cpu-prof` on this loaded
 * 2-core machine (7 Dec 2026), where a blocking read of 1 MiB from the page cache takes ~0.3 ms.
 */
export async function parseListFile(file: string, format: ListFormat, blocking = false): Promise<ParsedList> {
  const reader = blocking ? blockingReader(file) : await asyncReader(file);
  try {
    return await parseChunks(reader, format);
  } finally {
    await reader.close();
  }
}

/** The lines `reader` holds, read 1 MiB at a time into one buffer. */
async function parseChunks(reader: ChunkReader, format: ListFormat): Promise<ParsedList> {
  const parser = new ByteLineParser(format, reader.size);
  let buf = Buffer.allocUnsafe(CHUNK);
  let have = 0;
  for (;;) {
    if (have === buf.length) {
      // One line longer than the buffer: room for more of it.
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, have);
      buf = bigger;
    }
    const bytesRead = await reader.read(buf, have, buf.length - have);
    have += bytesRead;
    const eof = bytesRead === 0;
    const used = parser.feed(buf, have, eof);
    if (eof) break;
    buf.copy(buf, 0, used, have);
    have -= used;
  }
  return parser.finish();
}

/** Parses a list given as text (an inline list), as its UTF-8 bytes. */
export function parseList(text: string, format: ListFormat): Promise<ParsedList> {
  return parseListBytes(Buffer.from(text, 'utf8'), format);
}

/**
 * Parses a list held as bytes (a remote list: the body fetched, or its copy on disk) with the same
 * result as on its text: the format detected on the first lines of the whole text, then the lines parsed as from a file, 1 MiB at a time with a turn of the event
 * loop between (a refresh parses on the main thread while it serves).
 */
export async function parseListBytes(bytes: Uint8Array, format: ListFormat): Promise<ParsedList> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length === 0) {
    // No line to feed: the format as given (a file read empty keeps the default, as it always did).
    const out = new ParsedList();
    out.format = formatOf(format, () => '');
    out.finish();
    return out;
  }
  let known = format;
  if (format === 'auto') {
    // The guess samples the first 500 meaningful lines: a prefix of whole lines that holds them
    // gives the guess the whole text gives (one MiB unless the lines are long or mostly comments).
    for (let n = CHUNK; ; n *= 2) {
      const cut = n >= buf.length ? buf.length : buf.lastIndexOf(10, n - 1) + 1;
      const d = detectFormatSampled(buf.toString('utf8', 0, cut));
      if (d.sampledAll || cut === buf.length) {
        known = d.format;
        break;
      }
    }
  }
  const reader: ChunkReader = {
    size: buf.length,
    read: (into, at, length) =>
      new Promise<number>((resolve) =>
        setImmediate(() => {
          const n = Math.min(length, buf.length - offset);
          buf.copy(into, at, offset, offset + n);
          offset += n;
          resolve(n);
        }),
      ),
    close: () => undefined,
  };
  let offset = 0;
  return parseChunks(reader, known);
}

interface ChunkReader {
  readonly size: number;
  read(buf: Buffer, at: number, length: number): number | Promise<number>;
  close(): void | Promise<void>;
}

function blockingReader(file: string): ChunkReader {
  const fd = openSync(file, 'r');
  try {
    const { size } = fstatSync(fd);
    return {
      size,
      read: (buf, at, length) => readSync(fd, buf, at, length, null),
      close: () => closeSync(fd),
    };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

async function asyncReader(file: string): Promise<ChunkReader> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    return {
      size,
      read: async (buf, at, length) => (await fh.read(buf, at, length, null)).bytesRead,
      close: () => fh.close(),
    };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** The line loop: lines cut from the bytes, comments and blanks skipped, each given to its parser. */
class ByteLineParser {
  private readonly out = new ParsedList();
  private readonly format: ListFormat;
  private readonly size: number;
  private parseLine: LineParser | null = null;
  private adblock = false;
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
      this.out.format = formatOf(f, () => bytes.toString('utf8', 0, last));
      this.parseLine = PARSERS[this.out.format];
      this.adblock = this.out.format === 'adblock';
      if (last >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) pos = 3; // BOM
    }
    const out = this.out;
    const names = out.names;
    const adblock = this.adblock;
    const hosts = this.out.format === 'hosts';
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
      // The plain name's call stays here, where V8 inlines it (behind one more call it did not, and
      // the parse of 1 M names took 25 ms more CPU).
      let flags = -1;
      if (adblock) flags = adblockName(bytes, s, e, c);
      else if (isNameStart(c)) flags = hashNameBytes(bytes, s, e) >= 3 ? 0 : -1;
      else if (hosts) flags = hostsName(bytes, s, e);
      if (flags >= 0) {
        names.push(hashedKey[0], hashedKey[1], flags, lineNo);
        continue;
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

  /** A line the bytes do not settle: decoded alone and given to its format's line parser. */
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

/**
 * 0 for `0.0.0.0 name` or `127.0.0.1 name` with one name of three labels or more (its key in
 * `hashedKey`), else -1: what hosts.ts adds with no other check (the loopback names it skips have
 * one or two labels; a name of one or two labels goes through the broad-rule check there).
 */
function hostsName(bytes: Uint8Array, s: number, e: number): number {
  let n = hostsAddressEnd(bytes, s, e);
  if (n < 0 || (bytes[n] !== 32 && bytes[n] !== 9)) return -1;
  while (bytes[n] === 32 || bytes[n] === 9) n++;
  return isNameStart(bytes[n]) && hashNameBytes(bytes, n, e) >= 3 ? 0 : -1;
}

const ZEROS = Buffer.from('0.0.0.0');
const LOOPBACK = Buffer.from('127.0.0.1');

/** Where the usual hosts-file address (`0.0.0.0`, `127.0.0.1`) that starts bytes[s, e) ends, or -1. */
function hostsAddressEnd(bytes: Uint8Array, s: number, e: number): number {
  const address = bytes[s] === 48 ? ZEROS : bytes[s] === 49 ? LOOPBACK : null;
  if (address === null || e - s <= address.length) return -1;
  for (let i = 1; i < address.length; i++) if (bytes[s + i] !== address[i]) return -1;
  return s + address.length;
}

/**
 * `||name^` (flags 0) or `@@||name^` (ALLOW) with a name of three labels or more, its key in
 * `hashedKey`; -1 for any other adblock line: what adblock.ts adds with no other check.
 */
function adblockName(bytes: Uint8Array, s: number, e: number, c: number): number {
  let flags = 0;
  if (c === 64 && bytes[s + 1] === 64) {
    flags = ALLOW;
    s += 2;
  }
  if (bytes[s] !== 124 || bytes[s + 1] !== 124 || bytes[e - 1] !== 94) return -1;
  return hashNameBytes(bytes, s + 2, e - 1) >= 3 ? flags : -1;
}

/**
 * A letter, `-` or `_`: a name's first byte that no other rule form of a domains or hosts list
 * starts with (a digit may start an address).
 */
function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 45 || c === 95;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}
