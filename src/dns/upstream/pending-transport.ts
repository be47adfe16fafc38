// What every transport (UDP, TCP, DoT, DoH) does around its pending table, written once: admit a
// query (not when closed, not when the table is full), report the oldest query waiting, expire
// queries with `timeout`, and fail what still waits with `network` when it closes. A transport adds
// how its bytes travel: `transmit` and `release`.
import type { Exchange } from './exchange.ts';
import { PendingTable } from './pending-table.ts';
import type { Transport, TransportSink } from './transport.ts';

export abstract class PendingTransport implements Transport {
  abstract readonly kind: Transport['kind'];
  protected readonly sink: TransportSink;
  protected readonly table: PendingTable;
  protected closed = false;

  constructor(timeoutMs: number, sink: TransportSink) {
    this.sink = sink;
    this.table = new PendingTable(timeoutMs, (ex) => sink.failed(ex, 'timeout'));
  }

  send(ex: Exchange, msg: Buffer): boolean {
    if (this.closed) return false;
    const id = this.table.add(ex, performance.now());
    if (id < 0) return false;
    this.transmit(ex, id, msg);
    return true;
  }

  oldestPending(): number {
    return this.table.oldestSent();
  }

  close(): void {
    this.closed = true;
    this.table.close();
    this.table.drain((ex) => this.sink.failed(ex, 'network'));
    this.release();
  }

  /** Sends `msg` for `ex`, admitted under `id` (the DNS ID, except for DoH which sends ID 0). */
  protected abstract transmit(ex: Exchange, id: number, msg: Buffer): void;

  /** Closes the sockets (or pool); called once by `close`, after what waited has failed. */
  protected abstract release(): void;
}
