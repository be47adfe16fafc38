// The compiled policy as one file (issue 17 item 3, dnsdist's CDB idea for the whole policy): a start
// with an unchanged config and unchanged lists reads it in one read and uses its name table in place,
// through typed-array views of the buffer read (no per-entry work, no copy). Layout:
//
//   0  header, 64 bytes: magic 'BWSP', version, the 32-byte key (config + every source's identity),
//      names, lists, byte length of the meta, CRC-32 of the name block, CRC-32 of the meta, file size
//   64 the name block (match/name-table.ts `blockLayout`: keys, entry ids with their flags, lines,
//      the bucket index with its filter bits, starts; every section 8-byte aligned)
//   .. the meta, JSON: per list its key path, name, file version and what was parsed besides names
//      (counts, bad lines, broad rules, and the regex/URL/IP rule lines, compiled again at load:
//      lists hold few of them)
//
// Anything that does not check out (size, magic, version, key, CRCs, the table's own counts) makes
// the reader return why, and the policy is compiled from the lists' text instead.
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { NameTable, blockLayout, type NameBlock } from '../match/name-table.ts';
import { RECORD_WORDS } from '../match/name-index.ts';
import type { ParsedMeta } from '../parse/parsed-data.ts';
import { writeAtomic } from '../sources/compiled-cache.ts';

const MAGIC = 0x50535742; // 'BWSP'
/** Bump when the hash, the flags, the layout or the meta change: old files are then ignored. */
// 2: the bucket index holds filter bits (match/name-index.ts), `ent` holds each entry's flags.
export const SNAPSHOT_VERSION = 2;
const HEADER = 64;
const KEY_BYTES = 32;

export interface SnapshotList {
  readonly keyPath: string;
  readonly name: string;
  readonly parsed: ParsedMeta;
  /** The file version compiled (size, mtime), or the remote copy's; null for inline entries. */
  readonly stamp: { readonly size: number; readonly mtimeMs: number } | null;
  readonly lastSuccess: number;
}

export interface SnapshotMeta {
  readonly lists: readonly SnapshotList[];
}

/** Writes `table` and `meta` to `file` (temporary file, then a rename: never half a file). */
export async function writeSnapshotFile(
  file: string,
  key: Buffer,
  table: NameTable,
  meta: SnapshotMeta,
): Promise<void> {
  const { buffer, offset, size, lists, crc } = table.block;
  const block = new Uint8Array(buffer, offset, blockLayout(size, lists).bytes);
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt32LE(SNAPSHOT_VERSION, 4);
  key.copy(head, 8, 0, KEY_BYTES);
  head.writeUInt32LE(size, 40);
  head.writeUInt32LE(lists, 44);
  head.writeUInt32LE(json.length, 48);
  head.writeUInt32LE(crc, 52);
  head.writeUInt32LE(crc32(json), 56);
  head.writeUInt32LE(HEADER + block.length + json.length, 60);
  await writeAtomic(file, [head, block, json]);
}

/**
 * The table (views of the file's bytes) and meta of `file` when it was written for `key`; else the
 * reason it cannot be used ('absent' when there is no file). `early`: the file's bytes, read ahead
 * (../snapshot-prefetch.ts, the same way as readWhole below), checked here like a read of its own.
 */
export async function readSnapshotFile(
  file: string,
  key: Buffer,
  early?: Promise<Uint8Array>,
): Promise<{ table: NameTable; meta: SnapshotMeta } | string> {
  let bytes: Uint8Array;
  try {
    bytes = await (early ?? readWhole(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'absent' : `unreadable: ${code ?? (err as Error).message}`;
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER || buf.readUInt32LE(0) !== MAGIC) return 'not a policy snapshot';
  if (buf.readUInt32LE(4) !== SNAPSHOT_VERSION)
    return `version ${buf.readUInt32LE(4)}, not ${SNAPSHOT_VERSION}`;
  if (buf.readUInt32LE(60) !== buf.length)
    return `${buf.length} bytes where the header says ${buf.readUInt32LE(60)}`;
  if (!buf.subarray(8, 8 + KEY_BYTES).equals(key.subarray(0, KEY_BYTES)))
    return 'written for another config or other list contents';
  const size = buf.readUInt32LE(40);
  const lists = buf.readUInt32LE(44);
  const blockBytes = blockLayout(size, lists).bytes;
  const metaLen = buf.readUInt32LE(48);
  if (HEADER + blockBytes + metaLen !== buf.length) return 'sections do not add up to the file size';
  const block = bytes.subarray(HEADER, HEADER + blockBytes);
  const json = bytes.subarray(HEADER + blockBytes);
  if (crc32(block) !== buf.readUInt32LE(52) || crc32(json) !== buf.readUInt32LE(56))
    return 'checksum mismatch';
  let meta: SnapshotMeta;
  try {
    meta = JSON.parse(Buffer.from(json).toString('utf8')) as SnapshotMeta;
  } catch {
    return 'meta is not JSON';
  }
  const nameBlock: NameBlock = {
    buffer: bytes.buffer,
    offset: bytes.byteOffset + HEADER,
    size,
    lists,
    crc: buf.readUInt32LE(52),
  };
  const table = new NameTable(nameBlock);
  if (table.starts[lists] !== size || table.index[table.buckets * RECORD_WORDS] !== size)
    return 'name table counts do not check out';
  if (!Array.isArray(meta.lists) || meta.lists.length !== lists) return 'list count does not check out';
  return { table, meta };
}

/**
 * The whole file in one buffer of its own (shared memory when available, so a reload's worker reads
 * the table without a copy), starting at offset 0: 8-byte aligned for the Float64Array of keys.
 */
async function readWhole(file: string): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const ab = typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
    const bytes = new Uint8Array(ab);
    let o = 0;
    while (o < size) {
      const { bytesRead } = await fh.read(bytes, o, size - o, o);
      if (bytesRead === 0) break;
      o += bytesRead;
    }
    return o === size ? bytes : bytes.subarray(0, o);
  } finally {
    await fh.close();
  }
}
