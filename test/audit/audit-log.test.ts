// The hash chain of the audit log: appends chain across reopenings; editing, removing or reordering
// any line makes verification fail at that line.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditLog, verifyAuditText } from '../../src/audit/audit-log.ts';

async function logWith(n: number): Promise<{ file: string; lines: string[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'banwall-audit-'));
  const file = path.join(dir, 'sub', 'audit.log');
  for (let i = 0; i < n; i++) {
    // A new AuditLog each time: the chain continues from the file, as after a restart.
    new AuditLog(file).append({
      actor: i === 0 ? 'start' : 'admin',
      action: 'reload',
      result: 'applied',
      generation: i + 1,
    });
  }
  return { file, lines: (await readFile(file, 'utf8')).trimEnd().split('\n') };
}

void test('a log written across restarts verifies', async () => {
  const { file, lines } = await logWith(5);
  assert.equal(lines.length, 5);
  assert.deepEqual(verifyAuditText(await readFile(file, 'utf8')), { ok: true, lines: 5 });
  assert.equal((new AuditLog(file).tail(2)[0] as { generation: number }).generation, 5);
});

void test('editing, removing or reordering any line fails at that line', async () => {
  const { lines } = await logWith(5);
  for (let i = 0; i < lines.length; i++) {
    const edited = lines.slice();
    edited[i] = edited[i].replace(/"generation":\d+/, '"generation":99');
    const r = verifyAuditText(`${edited.join('\n')}\n`);
    assert.equal(r.ok, false);
    assert.equal(r.badLine, i + 1, `an edit of line ${i + 1} is found at that line`);
  }
  const removed = lines.filter((_, i) => i !== 2);
  assert.equal(verifyAuditText(removed.join('\n')).badLine, 3);
  const firstGone = lines.slice(1);
  assert.equal(verifyAuditText(firstGone.join('\n')).badLine, 1);
  const swapped = [lines[0], lines[2], lines[1], lines[3], lines[4]];
  assert.equal(verifyAuditText(swapped.join('\n')).badLine, 2);
  assert.equal(verifyAuditText('not json\n').badLine, 1);
});

void test('an appended line after tampering does not repair the chain', async () => {
  const { file, lines } = await logWith(3);
  lines[0] = lines[0].replace('"admin"', '"mallory"').replace('"start"', '"mallory"');
  await writeFile(file, `${lines.join('\n')}\n`);
  new AuditLog(file).append({ actor: 'admin', action: 'reload', result: 'applied' });
  assert.equal(verifyAuditText(await readFile(file, 'utf8')).badLine, 1);
});
