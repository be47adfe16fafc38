// The audit log of policy changes: one JSON line per change to what is enforced (reload by signal,
// API or file watch, a remote list refresh that changed entries, a rejected change). Each line ends
// with its own SHA-256 (`hash`, over the line's text before that field) and carries the hash of the
// line before it (`prev`; a run of zeros on the first line). Editing a line breaks its own hash;
// removing or reordering lines breaks the next `prev`: `banwall audit verify` names the first bad line.
// The chain has no secret: it shows accidental and careless edits, and a copy of each line shipped
// off the host as it is written (e.g. rsyslog's imfile) is what defeats someone who rewrites the whole file.
// Appends are synchronous and rare (one per reload), so the order on disk is the order of changes.
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, openSync, readSync, closeSync, fstatSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const GENESIS = '0'.repeat(64);

export interface AuditEntry {
  /** Who: a token id, `signal`, `watch`, `refresh`, `start`. */
  readonly actor: string;
  /** What kind of change: `reload`, `refresh`, `start`, `mode`. */
  readonly action: string;
  readonly result: 'applied' | 'rejected' | 'unchanged';
  /** Policy digest before and after (after = before when rejected). */
  readonly digestBefore?: string;
  readonly digestAfter?: string;
  readonly generation?: number;
  readonly listsAdded?: readonly string[];
  readonly listsRemoved?: readonly string[];
  /** Per list whose entry count changed: before and after. */
  readonly entries?: Readonly<Record<string, { readonly before: number; readonly after: number }>>;
  /** Lists switched between monitor and enforce: list → new action. */
  readonly modes?: Readonly<Record<string, string>>;
  readonly errors?: readonly string[];
  readonly reason?: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const HASH_SUFFIX = /,"hash":"([0-9a-f]{64})"\}$/;

/** The line for `body` (a JSON object's text): the body with its own hash as the last field. */
function sealed(body: string): string {
  return `${body.slice(0, -1)},"hash":"${sha256(body)}"}`;
}

/** The hash a line claims, when it checks out against the line's text; null otherwise. */
export function lineHash(line: string): string | null {
  const m = HASH_SUFFIX.exec(line);
  if (m === null) return null;
  return sha256(`${line.slice(0, m.index)}}`) === m[1] ? m[1] : null;
}

/** The last line of a file without reading all of it (an audit log grows for years). */
function lastLine(file: string): string | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    let tail = '';
    for (let end = size; end > 0;) {
      const start = Math.max(0, end - 64 * 1024);
      const buf = Buffer.alloc(end - start);
      readSync(fd, buf, 0, buf.length, start);
      tail = buf.toString('utf8') + tail;
      const trimmed = tail.replace(/\n+$/, '');
      const nl = trimmed.lastIndexOf('\n');
      if (nl >= 0 || start === 0) return trimmed.slice(nl + 1) || null;
      end = start;
    }
    return null;
  } finally {
    closeSync(fd);
  }
}

export class AuditLog {
  readonly file: string;
  private prev: string;

  constructor(file: string) {
    this.file = file;
    mkdirSync(path.dirname(file), { recursive: true });
    const last = lastLine(file);
    // A damaged last line still chains: the next line's prev is the hash it claims, or of its text.
    this.prev = last === null ? GENESIS : (lineHash(last) ?? HASH_SUFFIX.exec(last)?.[1] ?? sha256(last));
  }

  /** Appends one entry; returns the line written. Throws when the disk refuses (the caller logs). */
  append(entry: AuditEntry, now = Date.now()): string {
    const line = sealed(JSON.stringify({ time: new Date(now).toISOString(), ...entry, prev: this.prev }));
    appendFileSync(this.file, `${line}\n`, { mode: 0o640 });
    this.prev = HASH_SUFFIX.exec(line)![1];
    return line;
  }

  /** The newest entries (for /api/audit), newest first. */
  tail(n: number): unknown[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const lines = text.split('\n').filter((l) => l !== '');
    return lines
      .slice(-n)
      .reverse()
      .map((l) => {
        try {
          return JSON.parse(l) as unknown;
        } catch {
          return { unreadable: l };
        }
      });
  }
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly lines: number;
  /** 1-based number of the first line that breaks the chain. */
  readonly badLine?: number;
  readonly reason?: string;
}

/** Checks every line's own hash, and its `prev` against the hash of the line before it. */
export function verifyAuditText(text: string): VerifyResult {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i++) {
    const bad = (reason: string): VerifyResult => ({
      ok: false,
      lines: lines.length,
      badLine: i + 1,
      reason,
    });
    let entry: { prev?: unknown };
    try {
      entry = JSON.parse(lines[i]) as { prev?: unknown };
    } catch {
      return bad('not a JSON object');
    }
    const hash = lineHash(lines[i]);
    if (hash === null) return bad('the line does not match its own hash (it was edited)');
    if (entry.prev !== prev) {
      return bad(
        i === 0
          ? 'the first line does not start the chain (lines before it were removed)'
          : 'prev does not match the line before it (lines were removed or reordered)',
      );
    }
    prev = hash;
  }
  return { ok: true, lines: lines.length };
}
