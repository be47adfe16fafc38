// The assertion most resolver tests make on what the real dig or kdig printed: the answer is
// NOERROR and its answer section holds exactly these records, in this order.
import assert from 'node:assert/strict';
import type { DigResult } from './dig.ts';

/**
 * `r` is NOERROR and its answer records' data are `data` (as dig prints them: `192.0.2.1`,
 * `10 mail.a.test.`, `"v=spf1 -all"`). `what` names the query in a failure; the status failure shows
 * dig's whole output.
 */
export function assertAnswers(r: DigResult, data: readonly string[], what = ''): void {
  assert.equal(r.status, 'NOERROR', `${what}\n${r.raw}`);
  assert.deepEqual(
    r.answers.map((a) => a.data),
    data,
    what,
  );
}
