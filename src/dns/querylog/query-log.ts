// The query log: blocked queries (or every query, sampled) as JSON lines to stdout or a file.
//
// Logging must never slow the resolver. `offer` only copies five references and two numbers into a
// preallocated ring (no string building, no I/O); the ring is drained once per event-loop turn on a
// setImmediate, where lines are formatted and handed to an asynchronous SonicBoom (pino.destination
// with sync: false). Both stages are bounded: when the ring or SonicBoom's buffer is full, lines are
// dropped and counted (banwall_querylog_dropped_total) instead of queueing without limit.
import path from 'node:path';
import { pino } from 'pino';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { DnsAnswer, DnsQuery, Protocol, Result } from '../resolver.ts';
import type { BlockMatch } from '../../policy/snapshot.ts';
import { formatLine, type LogRecord } from './format.ts';

type SonicBoom = ReturnType<typeof pino.destination>;

/** Records waiting for the next flush; beyond this the log drops (a burst of 4096 in one turn). */
const RING_SIZE = 4096;
/** Bytes SonicBoom may hold while the disk or the pipe is slow: ~16k lines. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export class QueryLog {
  private readonly all: boolean;
  private readonly toStdout: boolean;
  private readonly sample: number;
  private readonly log: Logger;
  private readonly stream: SonicBoom;
  // The ring, as columns so that an entry costs no object.
  private readonly time = new Float64Array(RING_SIZE);
  private readonly qtype = new Uint16Array(RING_SIZE);
  private readonly client: string[] = new Array<string>(RING_SIZE).fill('');
  private readonly name: string[] = new Array<string>(RING_SIZE).fill('');
  private readonly protocol: Protocol[] = new Array<Protocol>(RING_SIZE).fill('udp');
  private readonly result: Result[] = new Array<Result>(RING_SIZE).fill('allowed');
  private readonly block: (BlockMatch | undefined)[] = new Array<BlockMatch | undefined>(RING_SIZE);
  private pending = 0;
  private scheduled = false;
  private closed = false;
  private readonly flushBound = () => this.flush();
  /** Lines handed to the destination, and lines dropped (ring full, buffer full, or write error). */
  written = 0;
  dropped = 0;

  constructor(cfg: Config['queryLog'], dir: string, log: Logger) {
    this.all = cfg.log === 'all';
    this.sample = cfg.sample;
    this.log = log.child({ part: 'querylog' });
    const toStdout = (this.toStdout = cfg.target === 'stdout');
    this.stream = pino.destination({
      dest: toStdout ? 1 : path.resolve(dir, cfg.target),
      sync: false,
      mkdir: true,
      maxLength: MAX_BUFFERED,
      // On stdout banwall's own logs share the pipe: writes of at most PIPE_BUF (4096) bytes are
      // atomic, so a query-log batch never splits one of their lines.
      maxWrite: toStdout ? 4096 : 16384,
    });
    this.stream.on('drop', (data: string) => {
      this.written -= countLines(data);
      this.dropped += countLines(data);
    });
    this.stream.on('error', (err: Error) =>
      this.log.error({ err, target: cfg.target }, 'query log write failed'),
    );
  }

  /** Hot path: logs a blocked answer always, any other when `log: all` and the sample says so. */
  offer(query: DnsQuery, answer: DnsAnswer): void {
    if (answer.block === undefined && !(this.all && (this.sample >= 1 || Math.random() < this.sample)))
      return;
    if (this.pending === RING_SIZE || this.closed) {
      this.dropped++;
      return;
    }
    const i = this.pending++;
    this.time[i] = performance.timeOrigin + query.received;
    this.qtype[i] = query.qtype;
    this.client[i] = query.client;
    this.name[i] = query.name;
    this.protocol[i] = query.protocol;
    this.result[i] = answer.result;
    this.block[i] = answer.block;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }

  /** Kept for the stub's callers: same as `offer`. */
  write(query: DnsQuery, answer: DnsAnswer): void {
    this.offer(query, answer);
  }

  /** Formats what the ring holds and hands it to the destination in one write. */
  flush(): void {
    this.scheduled = false;
    const n = this.pending;
    if (n === 0) return;
    let text = '';
    const r: LogRecord = {
      time: 0,
      client: '',
      name: '',
      qtype: 0,
      protocol: 'udp',
      result: 'allowed',
      block: undefined,
    };
    for (let i = 0; i < n; i++) {
      r.time = this.time[i];
      r.client = this.client[i];
      r.name = this.name[i];
      r.qtype = this.qtype[i];
      r.protocol = this.protocol[i];
      r.result = this.result[i];
      r.block = this.block[i];
      this.block[i] = undefined;
      text += formatLine(r);
    }
    this.pending = 0;
    this.written += n;
    try {
      this.stream.write(text);
    } catch (err) {
      this.written -= n;
      this.dropped += n;
      this.log.error({ err }, 'query log write failed');
    }
  }

  /** Reopens a file target (after logrotate moved it); a no-op for stdout. */
  reopen(): void {
    if (this.toStdout || this.closed) return;
    try {
      this.stream.reopen();
    } catch (err) {
      this.log.error({ err }, 'cannot reopen the query log');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    await new Promise<void>((resolve) => {
      this.stream.once('close', () => resolve());
      this.stream.once('error', () => resolve());
      this.stream.end();
    });
  }
}

function countLines(data: string): number {
  let n = 0;
  for (let i = data.indexOf('\n'); i >= 0; i = data.indexOf('\n', i + 1)) n++;
  return n;
}
