// What every transport that numbers its queries (UDP, TCP, DoT) does with a message from its
// upstream: find the query by ID, check that the answer is to that question, and hand it on.
import { answerMatches } from '../wire/answer-facts.ts';
import type { PendingTable } from './pending-table.ts';
import type { Transport, TransportSink } from './transport.ts';

export function deliverAnswer(msg: Buffer, table: PendingTable, sink: TransportSink, via: Transport): void {
  if (msg.length < 2) return sink.stray('malformed');
  const id = msg.readUInt16BE(0);
  const ex = table.get(id);
  if (ex === undefined) return sink.stray('mismatch');
  if (msg.length < 12) {
    // Our ID, from our upstream, but not a DNS message: the upstream answers garbage.
    table.remove(id);
    return sink.failed(ex, 'malformed');
  }
  // A forged or late answer to another question keeps the query waiting for the right one.
  if (!answerMatches(msg, ex.query.packet, ex.query.questionEnd)) return sink.stray('mismatch');
  const rtt = performance.now() - table.sentTime(id);
  table.remove(id);
  sink.answered(ex, msg, rtt, via);
}
