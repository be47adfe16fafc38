// A parsed local list kept on disk in binary form (dnsdist's idea: a big list is data, not code),
// keyed by the file's path, size and mtime. A restart with an unchanged 1 M-name file reads ~13 MB
// of typed arrays instead of parsing a million lines. Any mismatch or error falls back to parsing.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ParsedList, type ParsedFormat } from '../parse/parsed-list.ts';
import { PARSERS } from '../parse/parse-list.ts';

const MAGIC = 0x4c505742; // 'BWPL'
/** Bump when the hash, the flags or the layout change: old files are then ignored. */
const VERSION = 2; // 2: broad rules kept, bare keyword lines are bad lines
const FORMATS: readonly ParsedFormat[] = ['domains', 'hosts', 'adblock'];
const HEADER = 32;

export function compiledCachePath(
  cacheDir: string,
  file: string,
  size: number,
  mtimeMs: number,
  format: string,
): string {
  const id = createHash('sha256').update(`${file}\0${size}\0${mtimeMs}\0${format}\0${VERSION}`).digest('hex');
  return path.join(cacheDir, 'compiled', `${id.slice(0, 32)}.bin`);
}

export async function writeCompiled(target: string, p: ParsedList): Promise<void> {
  const n = p.names.count;
  const meta = Buffer.from(
    JSON.stringify({ special: p.specialLines, bad: p.badLines, broad: p.broad }),
    'utf8',
  );
  const out = Buffer.alloc(HEADER + n * 13 + meta.length);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(VERSION, 4);
  out.writeUInt32LE(n, 8);
  out.writeUInt32LE(p.ruleLines, 12);
  out.writeUInt32LE(p.badCount, 16);
  out.writeUInt32LE(FORMATS.indexOf(p.format), 20);
  out.writeUInt32LE(meta.length, 24);
  let o = HEADER;
  for (const a of [p.names.hi, p.names.lo, p.names.line]) {
    Buffer.from(a.buffer, a.byteOffset, n * 4).copy(out, o);
    o += n * 4;
  }
  Buffer.from(p.names.flags.buffer, p.names.flags.byteOffset, n).copy(out, o);
  meta.copy(out, o + n);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(`${target}.tmp`, out);
  await rename(`${target}.tmp`, target);
}

/** The cached parse, or null when there is none or it does not check out. */
export async function readCompiled(target: string): Promise<ParsedList | null> {
  let buf: Buffer;
  try {
    buf = await readFile(target);
  } catch {
    return null;
  }
  if (buf.length < HEADER || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return null;
  const n = buf.readUInt32LE(8);
  const format = FORMATS[buf.readUInt32LE(20)];
  const metaLen = buf.readUInt32LE(24);
  if (format === undefined || buf.length !== HEADER + n * 13 + metaLen) return null;
  const p = new ParsedList();
  p.format = format;
  p.ruleLines = buf.readUInt32LE(12);
  let o = HEADER;
  // Copies into fresh arrays: `buf` may be unaligned for Uint32Array views.
  const u32 = () => {
    const a = new Uint32Array(n);
    Buffer.from(a.buffer).set(buf.subarray(o, o + n * 4));
    o += n * 4;
    return a;
  };
  p.names.hi = u32();
  p.names.lo = u32();
  p.names.line = u32();
  p.names.flags = Uint8Array.from(buf.subarray(o, o + n));
  p.names.count = n;
  let meta: {
    special: { line: number; text: string }[];
    bad: { line: number; text: string; reason: string }[];
    broad?: { line: number; text: string; reason: string }[];
  };
  try {
    meta = JSON.parse(buf.subarray(o + n).toString('utf8')) as typeof meta;
  } catch {
    return null;
  }
  // Regex, URL and IP rules are few: parse their lines again (they hold RegExps and specs).
  const parseLine = PARSERS[format];
  for (const s of meta.special) {
    p.specialLines.push(s);
    parseLine(p, s.text, 0, s.text.length, s.line);
  }
  p.badLines.length = 0;
  p.badLines.push(...meta.bad);
  p.broad.length = 0; // the special lines above re-added theirs; meta.broad holds every one
  p.broad.push(...(meta.broad ?? []));
  p.badCount = buf.readUInt32LE(16);
  return p;
}
