// The live feed behind the console: a sink that writes each event to every open Server-Sent Events
// response. Bounded twice: at most MAX_CLIENTS listeners, and a listener whose socket stops reading
// (more than MAX_BACKLOG bytes waiting) misses events, counted, instead of growing memory.
import type { ServerResponse } from 'node:http';
import type { PolicyEvent } from './event.ts';
import type { EventSink } from './event-sink.ts';

const MAX_CLIENTS = 32;
const MAX_BACKLOG = 256 * 1024;
/** A comment line now and then keeps proxies and load balancers from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export class LiveFeed implements EventSink {
  readonly name = 'live';
  private readonly clients = new Set<ServerResponse>();
  private readonly keepalive: NodeJS.Timeout;
  dropped = 0;
  /** Called when a listener attaches (the app warms the store's writer: someone is watching). */
  onListener: (() => void) | null = null;

  constructor() {
    this.keepalive = setInterval(() => {
      for (const res of this.clients) res.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    this.keepalive.unref();
  }

  /** Without listeners an event costs nothing here: the DNS side may skip building it. */
  get idle(): boolean {
    return this.clients.size === 0;
  }

  get listeners(): number {
    return this.clients.size;
  }

  /** Turns `res` into an event stream; false (and nothing written) when the feed is full. */
  attach(res: ServerResponse): boolean {
    if (this.clients.size >= MAX_CLIENTS) return false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n\n');
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    this.onListener?.();
    return true;
  }

  offer(e: PolicyEvent): void {
    if (this.clients.size === 0) return;
    const data = `event: event\ndata: ${JSON.stringify({ ...e, time: new Date(e.time).toISOString() })}\n\n`;
    for (const res of this.clients) {
      if (res.writableLength > MAX_BACKLOG) this.dropped++;
      else res.write(data);
    }
  }

  close(): Promise<void> {
    clearInterval(this.keepalive);
    for (const res of this.clients) res.end();
    this.clients.clear();
    return Promise.resolve();
  }
}
