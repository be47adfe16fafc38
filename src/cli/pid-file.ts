// `serve --pid-file FILE`: the PID of the process that takes SIGHUP/SIGTERM, for scripts and
// supervisors. Claimed before anything starts (refused while it names a running banwall), written
// once every listener is bound (so its presence means "serving"), removed on exit if it is still ours.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

export class PidFileError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

/** Where /proc exists: whether `pid` is a Node process running banwall (PIDs are reused). */
function looksLikeBanwall(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return true; // cannot tell: assume it is, and refuse
  }
  return /banwall|cli\.ts/.test(cmdline);
}

function readPid(file: string): number | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PidFileError(`cannot read the PID file ${file}: ${(err as Error).message}`);
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/** Throws PidFileError when `file` names another live banwall; a stale or garbled file is ignored. */
export function claimPidFile(file: string): void {
  const pid = readPid(file);
  if (pid !== null && pid !== process.pid && alive(pid) && looksLikeBanwall(pid)) {
    throw new PidFileError(
      `the PID file ${file} names process ${pid}, which is running: another banwall is serving ` +
        '(stop it first, or remove the file if that process is not banwall)',
    );
  }
  // Fail now, not after every listener is bound, when the file cannot be written at all.
  const probe = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (err) {
    throw new PidFileError(`cannot write the PID file ${file}: ${(err as Error).message}`);
  }
}

/** Writes our PID (atomically: a reader never sees a half-written file) and removes it at exit. */
export function writePidFile(file: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, `${process.pid}\n`, { mode: 0o644 });
    renameSync(tmp, file);
  } catch (err) {
    throw new PidFileError(`cannot write the PID file ${file}: ${(err as Error).message}`);
  }
  process.once('exit', () => {
    try {
      if (readPid(file) === process.pid) unlinkSync(file);
    } catch {
      // Gone already, or the directory is not ours any more: nothing to clean.
    }
  });
}
