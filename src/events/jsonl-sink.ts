// The JSON-lines file (the `queryLog` target: stdout or a file), one event a line, from both layers.
// Lines are written through an asynchronous SonicBoom holding at most 4 MiB: when the disk or the pipe
// is slow, lines are dropped and counted (banwall_querylog_lines_total{outcome="dropped"}), never
// queued without bound. A reload reopens a file target, so rotation is `mv` then SIGHUP.
import path from 'node:path';
import { pino } from 'pino';
import type { Logger } from '../log.ts';
import type { PolicyEvent } from './event.ts';
import type { EventSink } from './event-sink.ts';

type SonicBoom = ReturnType<typeof pino.destination>;

const MAX_BUFFERED = 4 * 1024 * 1024;

/**
 * One line. The query log's original keys come first (name, type, result for DNS; app, category,
 * list, rule, source, group on blocks) so existing parsers keep working; the event's fields follow.
 */
export function eventLine(e: PolicyEvent): string {
  const line: Record<string, unknown> = {
    time: new Date(e.time).toISOString(),
    client: e.client,
    name: e.target,
    type: e.kind,
    protocol: e.protocol,
    result: e.decision,
  };
  if (e.list !== '') {
    line.app = e.app;
    line.category = e.category;
    line.list = e.list;
    line.rule = e.rule;
    line.source = e.source;
    line.group = e.group;
  }
  line.layer = e.layer;
  line.decision = e.decision;
  line.answer = e.answer;
  line.durationMs = e.durationMs;
  if (e.identity !== '') line.identity = e.identity;
  if (e.intercepted) line.intercepted = true;
  return `${JSON.stringify(line)}\n`;
}

export class JsonLinesSink implements EventSink {
  readonly name = 'querylog';
  private readonly stream: SonicBoom;
  private readonly toStdout: boolean;
  private readonly log: Logger;
  private text = '';
  private count = 0;
  private scheduled = false;
  private closed = false;
  written = 0;
  dropped = 0;

  constructor(target: string, dir: string, log: Logger) {
    this.log = log.child({ part: 'querylog' });
    const toStdout = (this.toStdout = target === 'stdout');
    this.stream = pino.destination({
      dest: toStdout ? 1 : path.resolve(dir, target),
      sync: false,
      mkdir: true,
      maxLength: MAX_BUFFERED,
      // On stdout banwall's own logs share the pipe: writes of at most PIPE_BUF (4096) bytes are
      // atomic, so a batch never splits one of their lines.
      maxWrite: toStdout ? 4096 : 16384,
    });
    this.stream.on('drop', (data: string) => {
      const n = countLines(data);
      this.written -= n;
      this.dropped += n;
    });
    this.stream.on('error', (err: Error) => this.log.error({ err, target }, 'query log write failed'));
  }

  offer(e: PolicyEvent): void {
    if (this.closed) return;
    this.text += eventLine(e);
    this.count++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** One write per turn for everything offered in it. */
  flush(): void {
    this.scheduled = false;
    if (this.count === 0) return;
    const text = this.text;
    const n = this.count;
    this.text = '';
    this.count = 0;
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
