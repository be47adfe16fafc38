// The compile worker's thread: the two jobs of a reload that cost time in proportion to the list
// size, done here so that the resolver keeps answering (a 1 M-name reload stalled the event loop
// 110–155 ms when done on the main thread). `list-file`: read a list file (its compiled copy, or a
// parse); the name arrays are transferred back, not copied. `table`: sort every list's names into
// one block of shared memory; the main thread maps it (no copy) and swaps the policy in.
import { parentPort } from 'node:worker_threads';
import { readListFile } from '../sources/list-file.ts';
import { parsedData, type NameArrays } from '../parse/parsed-data.ts';
import type { ParsedList } from '../parse/parsed-list.ts';
import { buildNameBlock } from '../match/name-table.ts';
import type { WorkerRequest, WorkerReply } from './protocol.ts';

const port = parentPort!;

port.on('message', (req: WorkerRequest) => {
  void answer(req).then(
    ({ reply, transfer }) => port.postMessage(reply, transfer),
    (err: Error) => port.postMessage({ id: req.id, ok: false, error: err.message } satisfies WorkerReply),
  );
});

async function answer(req: WorkerRequest): Promise<{ reply: WorkerReply; transfer: ArrayBuffer[] }> {
  const job = req.job;
  if (job.kind === 'table') {
    // Shared memory is shared, not copied; an ArrayBuffer (no SharedArrayBuffer) is moved.
    const block = buildNameBlock(job.parts);
    const transfer = block.buffer instanceof ArrayBuffer ? [block.buffer] : [];
    return { reply: { id: req.id, ok: true, kind: 'table', block }, transfer };
  }
  const { parsed, warning } = await readListFile({ ...job, blocking: true }); // a thread of its own
  const data = { ...parsedData(parsed), names: sharedNames(parsed) };
  return { reply: { id: req.id, ok: true, kind: 'list-file', data, warning }, transfer: [] };
}

/**
 * The list's name arrays copied into one block of shared memory, here off the main thread: the main
 * thread gets them without a copy, and hands them back for the table job without one (a structured
 * clone of 13 MB took 250 ms of the main thread under load; a transfer would detach the arrays a
 * failed reload still needs).
 */
function sharedNames(parsed: ParsedList): NameArrays {
  const b = parsed.names;
  const n = b.count;
  if (typeof SharedArrayBuffer !== 'function') return parsedData(parsed).names;
  const sab = new SharedArrayBuffer(n * 13);
  const hi = new Uint32Array(sab, 0, n);
  const lo = new Uint32Array(sab, n * 4, n);
  const line = new Uint32Array(sab, n * 8, n);
  const flags = new Uint8Array(sab, n * 12, n);
  hi.set(b.hi.subarray(0, n));
  lo.set(b.lo.subarray(0, n));
  line.set(b.line.subarray(0, n));
  flags.set(b.flags.subarray(0, n));
  return { count: n, hi, lo, line, flags };
}
